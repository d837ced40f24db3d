# lz4 command-line tool (programs/*.c + liblz4).
NAME=lz4
PKG=lz4

build() {
  # The built-in benchmark (bench.c) times itself with clock().
  wasi_emul process_clocks
  wasi_noperms
  $CC $CFLAGS -Ilib -o "$1" lib/lz4.c lib/lz4hc.c lib/lz4frame.c lib/xxhash.c \
    programs/*.c $LDFLAGS
}

inputs() {
  cat "$SRCDIR"/lib/*.c > input.txt        # ~400 KB of C
  "$NATIVE" -9 < input.txt > input.txt.lz4
}

cases() {
  # stdin in, stdout not a terminal: lz4 writes the frame to stdout.
  # Levels 1-2 (the fast compressor) are left out on purpose: LZ4 hashes 5
  # bytes when size_t is 64-bit and 4 bytes on 32-bit targets such as wasm32,
  # so their (valid) output legitimately differs from the native build's.
  # -t is left out too: it writes to /dev/null, which the sandbox lacks.
  case_ compress-hc3 input input.txt -3
  case_ compress-hc9 input input.txt -9
  # Dependent blocks (-BD) with --content-size are left out as well: the blocks
  # follow how the input arrives (regular file or pipe, and a pipe's short reads),
  # so the output is not a function of the input bytes alone, even natively.
  case_ compress-hc12 input input.txt -12 --no-frame-crc
  case_ decompress input input.txt.lz4 -d
}
