# GNU bc, the arbitrary-precision calculator.
NAME=bc
PKG=bc

prepare() {
  # Hand-written config.h (what configure finds on glibc and on wasi-libc).
  local ver; ver=$(sed -n 's/^m4_define(\[bc_version\], \(.*\))$/\1/p' configure.ac)
  cat > config.h <<H
#define PACKAGE "bc"
#define VERSION "$ver"
#define BC_COPYRIGHT "Copyright 1991-1994, 1997, 1998, 2000, 2004, 2006, 2008, 2012-2017 Free Software Foundation, Inc."
#define HAVE_ERRNO_H 1
#define HAVE_LIMITS_H 1
#define HAVE_SETVBUF 1
#define HAVE_STDARG_H 1
#define HAVE_STDDEF_H 1
#define HAVE_STDLIB_H 1
#define HAVE_STRING_H 1
#define HAVE_UNISTD_H 1
#define HAVE_VPRINTF 1
#define STDC_HEADERS 1
H
  # libmath.h holds bc's math library (libmath.b) precompiled to bytecode by
  # a bc built without it ("fbc"), as upstream's Makefile does; the awk turns
  # fbc's output lines into a C string array (upstream uses an ed script).
  echo '{0}' > bc/libmath.h
  $NATIVE_CC -O2 -w -DHAVE_CONFIG_H -I. -Ih -Ibc -o fbc bc/main.c bc/bc.c \
    bc/scan.c bc/execute.c bc/load.c bc/storage.c bc/util.c bc/warranty.c \
    bc/global.c lib/number.c
  ./fbc -c bc/libmath.b </dev/null | awk '
    { gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); line[NR] = $0 }
    END { printf "{"; for (i = 1; i < NR; i++) printf "\"%s\",\n", line[i]; print "0}" }' \
    > bc/libmath.h
  rm -f fbc
}

build() {
  wasi_emul signal       # SIGINT handler (interrupting a running program)
  $CC $CFLAGS -DHAVE_CONFIG_H -I. -Ih -Ibc -o "$1" bc/main.c bc/bc.c bc/scan.c \
    bc/execute.c bc/load.c bc/storage.c bc/util.c bc/warranty.c bc/global.c \
    lib/number.c $LDFLAGS
}

inputs() {
  # The upstream examples and tests, plus some output-heavy arithmetic.
  { grep -v "^quit" "$SRCDIR"/Test/fact.b      # (quit would end bc at parse time)
    echo 'f(150); scale=60; a(1)*4; e(1); l(2); s(1); c(1); sqrt(2); j(2,1.5)'
    echo 'obase=16; 2^200; obase=7; 12345678901234567890; obase=10; ibase=2; 101010; ibase=A'
    cat "$SRCDIR"/Examples/pi.b
    echo 'scale=200; pi(); digits[7]'; } > calc.b
  { cat "$SRCDIR"/Examples/primes.b; echo 'primes(4000)'; } > primes.b
}

cases() {
  case_ mathlib input calc.b -l                 # program on stdin, -l: math library
  case_ primes input primes.b -q
  case_ version none - --version
}
