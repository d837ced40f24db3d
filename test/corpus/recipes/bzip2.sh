# bzip2 command-line compressor (bzip2.c + libbz2 sources).
NAME=bzip2
PKG=bzip2

build() {
  # bzip2.c installs signal handlers and includes <sys/times.h>.
  wasi_emul signal process_clocks
  wasi_noperms
  $CC $CFLAGS -D_FILE_OFFSET_BITS=64 -o "$1" blocksort.c huffman.c crctable.c \
    randtable.c compress.c decompress.c bzlib.c bzip2.c $LDFLAGS
}

inputs() {
  cat "$SRCDIR"/*.c > input.txt            # ~220 KB of C
  "$NATIVE" -9 < input.txt > input.txt.bz2
  cp "$SRCDIR"/sample1.bz2 sample1.bz2     # upstream test vector (binary data)
}

cases() {
  case_ compress-9 input input.txt                  # stdin -> stdout
  case_ compress-1 input input.txt -1
  case_ decompress input input.txt.bz2 -d
  case_ decompress-sample1 input sample1.bz2 -d
  case_ test-integrity input input.txt.bz2 -t       # no output, exit status only
}
