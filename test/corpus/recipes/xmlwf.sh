# xmlwf: expat's XML well-formedness checker. Errors go to stdout as
# "STDIN:line:col: message"; a well-formed document prints nothing.
NAME=xmlwf
PKG=expat

build() {
  cd expat
  # Stand-in for the CMake-generated expat_config.h (CMake's defaults:
  # DTD + namespaces, 1024 context bytes). Hash salt from arc4random_buf:
  # glibc 2.36 has it, wasi-libc has it (random_get) but does not declare it.
  cat > expat_config.h <<'H'
#include <stddef.h>
void arc4random_buf(void *, size_t);
#define HAVE_ARC4RANDOM_BUF 1
#define BYTEORDER 1234
#define HAVE_FCNTL_H 1
#define HAVE_UNISTD_H 1
#define HAVE_STDINT_H 1
#define HAVE_STDLIB_H 1
#define HAVE_STRING_H 1
#define HAVE_SYS_STAT_H 1
#define HAVE_SYS_TYPES_H 1
#define STDC_HEADERS 1
#define XML_CONTEXT_BYTES 1024
#define XML_DTD 1
#define XML_NS 1
#define PACKAGE "expat"
H
  # readfilemap.c (read()) instead of unixfilemap.c (mmap) for file operands.
  $CC $CFLAGS -DHAVE_EXPAT_CONFIG_H -I. -Ilib -o "$1" lib/xmlparse.c \
    lib/xmlrole.c lib/xmltok.c xmlwf/xmlwf.c xmlwf/xmlfile.c xmlwf/codepage.c \
    xmlwf/readfilemap.c $LDFLAGS
}

inputs() {
  local big=$SRCDIR/testdata/largefiles/nes96.xml
  cp "$big" nes96.xml                               # 2.9 MB, well-formed
  head -c 200000 "$big" > truncated.xml             # ends mid-document
  # "Billion laughs": rejected by the amplification limit.
  { echo '<?xml version="1.0"?><!DOCTYPE l ['
    echo '<!ENTITY l0 "ha">'
    for i in 1 2 3 4 5 6 7 8 9; do
      echo "<!ENTITY l$i \"&l$((i-1));&l$((i-1));&l$((i-1));&l$((i-1));&l$((i-1));&l$((i-1));&l$((i-1));&l$((i-1));&l$((i-1));&l$((i-1));\">"
    done
    echo ']><l>&l9;</l>'; } > laughs.xml
  printf '<?xml version="1.0" encoding="ISO-8859-1"?>\n<a b="1" b="2">\xe9</a>\n' > dupattr.xml
}

cases() {
  case_ wellformed input nes96.xml                 # exit 0, no output
  case_ truncated input truncated.xml              # error on stdout, exit 2
  case_ billion-laughs input laughs.xml
  case_ duplicate-attribute-latin1 input dupattr.xml
  case_ timing-mode input nes96.xml -t
}
