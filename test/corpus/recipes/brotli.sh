# brotli command-line tool (c/tools/brotli.c + the brotli library).
NAME=brotli
PKG=brotli

build() {
  wasi_noperms
  $CC $CFLAGS -Ic/include -o "$1" c/common/*.c c/dec/*.c c/enc/*.c \
    c/tools/brotli.c $LDFLAGS -lm
}

inputs() {
  cat "$SRCDIR"/c/dec/*.c "$SRCDIR"/c/tools/brotli.c > input.txt   # ~150 KB
  "$NATIVE" -q 9 < input.txt > input.txt.br
}

cases() {
  # No file operands: brotli reads stdin and writes stdout.
  case_ compress-q11 input input.txt          # default quality 11 (slow, float-heavy)
  case_ compress-q5 input input.txt -q 5
  case_ compress-q1-w10 input input.txt -q 1 -w 10
  case_ decompress input input.txt.br -d
}
