# zlib's own example gzip (test/minigzip.c) linked against zlib's sources.
NAME=minigzip
PKG=zlib

build() {
  # HAVE_UNISTD_H/HAVE_STDARG_H: what ./configure would switch on in zconf.h.
  $CC $CFLAGS -DHAVE_UNISTD_H -DHAVE_STDARG_H -I. -o "$1" test/minigzip.c \
    adler32.c crc32.c deflate.c infback.c inffast.c inflate.c inftrees.c \
    trees.c zutil.c compress.c uncompr.c gzclose.c gzlib.c gzread.c gzwrite.c \
    $LDFLAGS
}

inputs() {
  cat "$SRCDIR"/*.c > input.txt            # ~340 KB of C (glob order is fixed)
  # A .gz made by the native build, for the decompression case.
  "$NATIVE" -9 < input.txt > input.txt.gz
}

cases() {
  case_ compress-6 input input.txt          # default level 6, stdin -> stdout
  case_ compress-1 input input.txt -1
  case_ compress-9 input input.txt -9
  case_ decompress input input.txt.gz -d
}
