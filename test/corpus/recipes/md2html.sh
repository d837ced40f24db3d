# md2html: markdown -> HTML converter shipped with md4c.
NAME=md2html
PKG=md4c

build() {
  # --stat times the parser with clock(). Version macros come from CMakeLists.txt.
  wasi_emul process_clocks
  local v; for v in MAJOR MINOR RELEASE; do
    CFLAGS+=" -DMD_VERSION_$v=$(sed -n "s/^set(MD_VERSION_$v \([0-9]*\))/\1/p" CMakeLists.txt)"
  done
  $CC $CFLAGS -Isrc -o "$1" src/md4c.c src/md4c-html.c src/entity.c \
    md2html/md2html.c md2html/cmdline.c $LDFLAGS
}

inputs() {
  # README/changelog plus the spec files of the GitHub-flavoured extensions.
  (cd "$SRCDIR" && cat README.md CHANGELOG.md test/tables.txt \
    test/strikethrough.txt test/tasklists.txt test/permissive-url-autolinks.txt) > doc.md
  cp "$SRCDIR"/test/spec.txt spec.md
}

cases() {
  case_ html input doc.md                       # stdin -> stdout
  case_ github-full-xhtml input doc.md --github --full-html --xhtml
  case_ spec-extensions input spec.md --ftables --fstrikethrough --flatex-math --fwiki-links --funderline
  case_ version none - --version
}
