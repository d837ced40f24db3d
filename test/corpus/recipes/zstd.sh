# zstd command-line tool (programs/) + libzstd, single-threaded.
NAME=zstd
PKG=libzstd

build() {
  # fileio.c traps SIGINT and times progress with clock().
  wasi_emul signal process_clocks
  wasi_noperms
  # NOBENCH/NODICT/NOTRACE: leave out the benchmark, dictionary builder and
  # tracing (not needed, and they pull in more platform code). No legacy
  # (<v0.8) formats, no x86-64 assembly decoder: same C code on both targets.
  # -include stdio.h: util.h uses FILE without including it (glibc hides this).
  CFLAGS+=" -DZSTD_NOBENCH -DZSTD_NODICT -DZSTD_NOTRACE -DZSTD_LEGACY_SUPPORT=0"
  CFLAGS+=" -DZSTD_DISABLE_ASM -include stdio.h -Ilib -Ilib/common"
  $CC $CFLAGS -o "$1" lib/common/*.c lib/compress/*.c lib/decompress/*.c \
    programs/zstdcli.c programs/fileio.c programs/fileio_asyncio.c \
    programs/util.c programs/timefn.c programs/zstdcli_trace.c $LDFLAGS
}

inputs() {
  cat "$SRCDIR"/lib/compress/*.c > input.txt     # ~800 KB of C
  "$NATIVE" -q -19 < input.txt > input.txt.zst
}

cases() {
  # -q: no progress on stderr. stdin in, stdout not a terminal -> stdout.
  case_ compress-3 input input.txt -q                   # default level 3
  case_ compress-1 input input.txt -q -1
  case_ compress-19 input input.txt -q -19
  case_ compress-long input input.txt -q --ultra -22 --long=24 --no-check
  case_ decompress input input.txt.zst -q -d
  case_ test-integrity input input.txt.zst -q -t         # no output, exit status
}
