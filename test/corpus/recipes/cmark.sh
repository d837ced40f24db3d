# cmark: CommonMark reference implementation (markdown -> html/xml/man/latex).
NAME=cmark
PKG=cmark

build() {
  # Hand-written stand-ins for the three headers CMake would generate.
  cat > src/config.h <<'H'
#include <stdbool.h>
#define HAVE___BUILTIN_EXPECT
#define CMARK_ATTRIBUTE(list) __attribute__ (list)
#define CMARK_INLINE inline
H
  local v major minor patch
  v=$(sed -n 's/^project(cmark VERSION \([0-9.]*\)).*/\1/p' CMakeLists.txt)
  IFS=. read -r major minor patch <<<"$v"
  printf '#define CMARK_VERSION ((%s << 16) | (%s << 8) | %s)\n#define CMARK_VERSION_STRING "%s"\n' \
    "$major" "$minor" "$patch" "$v" > src/cmark_version.h
  printf '#define CMARK_EXPORT\n' > src/cmark_export.h   # static build
  $CC $CFLAGS -Isrc -o "$1" src/*.c $LDFLAGS
}

inputs() {
  cp "$SRCDIR"/test/spec.txt spec.md        # the CommonMark spec, ~200 KB
  cp "$SRCDIR"/test/smart_punct.txt smart.md
}

cases() {
  case_ html input spec.md                            # stdin -> HTML on stdout
  case_ xml-sourcepos input spec.md --to xml --sourcepos
  case_ commonmark-w72 input spec.md --to commonmark --width 72
  case_ man input spec.md -t man
  case_ latex-smart input smart.md -t latex --smart
  case_ version none - --version
}
