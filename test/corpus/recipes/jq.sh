# jq, the JSON processor (built without oniguruma: no regex builtins).
NAME=jq
PKG=jq

prepare() {
  # Generated sources, made the way jq's Makefile.am makes them.
  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$/\\n"/' \
    src/builtin.jq > src/builtin.inc
  echo "#define JQ_VERSION \"$(sh scripts/version)\"" > src/version.h
}

build() {
  # What configure would find; the same on both targets so that both builds
  # have the same builtins. Math functions: those glibc and wasi-libc share.
  CFLAGS+=" -DIEEE_8087 -DHAVE_MEMMEM -DHAVE_ISATTY -DHAVE_STRPTIME -DHAVE_STRFTIME"
  CFLAGS+=" -DHAVE_TIMEGM -DHAVE_GMTIME_R -DHAVE_GMTIME -DHAVE_LOCALTIME_R"
  CFLAGS+=" -DHAVE_LOCALTIME -DHAVE_GETTIMEOFDAY -DHAVE_TM_TM_GMT_OFF -DHAVE_GETENTROPY"
  CFLAGS+=" -DHAVE_PTHREAD_KEY_CREATE -DHAVE_PTHREAD_ONCE -DHAVE_ATEXIT"
  local f
  for f in acos acosh asin asinh atan2 atan atanh cbrt ceil copysign cos cosh \
      erf erfc exp2 exp expm1 fabs fdim floor fma fmax fmin fmod frexp hypot \
      ldexp lgamma log10 log1p log2 log logb modf lgamma_r nearbyint nextafter \
      nexttoward pow remainder rint round scalbln sin sinh sqrt tan tanh tgamma trunc; do
    CFLAGS+=" -DHAVE_${f^^}"
  done
  if [[ $TARGET == wasm ]]; then
    wasi_emul getpid          # hash-seed fallback
    mkdir -p compat
    # jq only uses pthread once/keys: a single-threaded stand-in.
    cat > compat/pthread.h <<'H'
typedef int pthread_once_t, pthread_key_t;
#define PTHREAD_ONCE_INIT 0
static void *jq_wasi_tls[8];
static inline int pthread_once(pthread_once_t *o, void (*f)(void)) { if (!*o) { *o = 1; f(); } return 0; }
static inline int pthread_key_create(pthread_key_t *k, void (*d)(void *)) { static int n; (void)d; *k = n++; return 0; }
static inline void *pthread_getspecific(pthread_key_t k) { return jq_wasi_tls[k]; }
static inline int pthread_setspecific(pthread_key_t k, const void *v) { jq_wasi_tls[k] = (void *)v; return 0; }
H
    # No users in WASI: ~ comes from $HOME only.
    cat > compat/pwd.h <<'H'
#include <sys/types.h>
struct passwd { char *pw_name, *pw_dir; };
static inline struct passwd *getpwuid(unsigned uid) { (void)uid; return 0; }
static inline unsigned getuid(void) { return 0; }
H
    # wasi-libc (2022) lacks realpath(); jq falls back to the path as given.
    cat > compat/wasi-jq.h <<'H'
#include <errno.h>
#include <stdlib.h>
static inline char *jq_wasi_realpath(const char *p, char *r) { (void)p; (void)r; errno = ENOSYS; return 0; }
#define realpath(p, r) jq_wasi_realpath(p, r)
H
    CFLAGS+=" -Icompat -include wasi-jq.h"
  fi
  $CC $CFLAGS -I. -Isrc -o "$1" src/main.c src/builtin.c src/bytecode.c \
    src/compile.c src/execute.c src/jq_test.c src/jv.c src/jv_alloc.c \
    src/jv_aux.c src/jv_dtoa.c src/jv_file.c src/jv_parse.c src/jv_print.c \
    src/jv_unicode.c src/linker.c src/locfile.c src/util.c src/parser.c \
    src/lexer.c $LDFLAGS -lm
}

inputs() {
  # jq's own test suite, minus the 10000-deep nesting tests: in wasm, jq's
  # comparison recursion needs more than the 8 MiB shadow stack it is linked
  # with (in linear memory) and runs out of bounds; natively 8 MiB suffices.
  # A property of the wasm build, not of the runtime.
  awk 'BEGIN { RS = ""; ORS = "\n\n" } !/range\(1000[01]\)/' \
    "$SRCDIR"/tests/jq.test > jq.test
  cp "$SRCDIR"/ChangeLog changelog.txt
  # JSON data made by the native build from jq's ChangeLog.
  "$NATIVE" -R -s '[split("\n")[] | select(length > 0)
      | {len: length, text: ., words: (split(" ") | map(select(. != "")))}]' \
    < changelog.txt > changelog.json
}

cases() {
  NOTE="exit 1: module tests need -L tests/modules, absent here; they fail the same way on both builds" \
  case_ run-tests input jq.test --run-tests
  case_ pretty-sorted input changelog.json -S .
  case_ aggregate input changelog.json -c \
    'group_by(.len / 10 | floor) | map({bucket: (.[0].len / 10 | floor), n: length, words: (map(.words | length) | add)})'
  case_ formats input changelog.json -r \
    '.[:40][] | [.len, (.words[0] // ""), (.text | @base64), (.text | @uri)] | @csv, @tsv, @sh, @html "\(.[1])"'
  case_ raw-slurp input changelog.txt -R -s --tab --arg who jq \
    '{who: $who, lines: (split("\n") | length), chars: length, top: (split(" ") | map(select(. != "")) | group_by(.) | map([.[0], length]) | sort_by(-.[1]) | .[:10]), math: [1e1000, -1e-400, 0.1 + 0.2, pow(3; 40), (2 | sqrt), (17 | tostring | tonumber), ([1, 2] | implode?)]}'
  case_ stream input changelog.json -c --stream 'select(length == 2) | select(.[0][1] == "len")'
  case_ seq-null none - -n -c '[range(0; 30; 3)], ([limit(5; repeat(1))] | add), ({} | .a.b.c = 1), ("2015-03-05T23:51:47Z" | fromdate | todate)'
}
