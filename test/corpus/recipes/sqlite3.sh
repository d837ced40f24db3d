# sqlite3 command-line shell, built from the amalgamation it generates.
NAME=sqlite3
PKG=sqlite3

prepare() {
  # The Debian source is the full source tree: generate sqlite3.c + shell.c
  # (needs tclsh) the way upstream's Makefile does, in bld/.
  mkdir -p bld && cd bld
  ../configure --disable-tcl --disable-readline
  make -j2 sqlite3.c shell.c
}

build() {
  # Same SQLite options on both targets:
  #   THREADSAFE=0, OMIT_LOAD_EXTENSION: no threads/dlopen in WASI.
  #   OMIT_WAL, MAX_MMAP_SIZE=0: no shared memory / mmap.
  #   NOHAVE_SYSTEM, OMIT_POPEN: no processes (.system, .shell, .once -e).
  #   DEFAULT_UNIX_VFS="unix-none": no POSIX advisory locks in WASI.
  CFLAGS+=" -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_OMIT_WAL"
  CFLAGS+=" -DSQLITE_MAX_MMAP_SIZE=0 -DSQLITE_NOHAVE_SYSTEM -DSQLITE_OMIT_POPEN"
  CFLAGS+=' -DSQLITE_DEFAULT_UNIX_VFS="unix-none"'
  if [[ $TARGET == wasm ]]; then
    # The shell traps SIGINT; the VFS seeds its PRNG with getpid()/time.
    wasi_emul signal process_clocks getpid
    mkdir -p compat
    # pwd.h: WASI has no users (the shell only looks up ~ for ~/.sqliterc).
    cat > compat/pwd.h <<'H'
#include <sys/types.h>
struct passwd { char *pw_name, *pw_dir; };
static inline struct passwd *getpwuid(unsigned uid) { (void)uid; return 0; }
static inline unsigned getuid(void) { return 0; }
H
    # os_unix.c names these in its syscall table; WASI has no modes, owners
    # or fcntl locks (unused with unix-none), so they are inert stand-ins.
    cat > compat/wasi-sqlite.h <<'H'
#include <fcntl.h>
#include <sys/types.h>
#define F_RDLCK 0
#define F_WRLCK 1
#define F_UNLCK 2
#define F_GETLK 5
#define F_SETLK 6
#define F_SETLKW 7
static inline int chmod(const char *p, mode_t m) { (void)p; (void)m; return 0; }
static inline int fchmod(int fd, mode_t m) { (void)fd; (void)m; return 0; }
static inline int fchown(int fd, uid_t u, gid_t g) { (void)fd; (void)u; (void)g; return 0; }
static inline uid_t geteuid(void) { return 1; }
H
    CFLAGS+=" -Icompat -include wasi-sqlite.h"
  fi
  $CC $CFLAGS -Ibld -o "$1" bld/shell.c bld/sqlite3.c $LDFLAGS -lm
}

inputs() {
  # A table of README.md lines ('' escapes quotes) followed by the queries.
  { echo "create table doc(n integer primary key, line text);"
    echo "begin;"
    awk '{ gsub(/\x27/, "\x27\x27"); printf "insert into doc values(%d, \x27%s\x27);\n", NR, $0 }' \
      "$SRCDIR"/README.md
    echo "commit;"
    cat "$HERE"/recipes/sqlite3.sql; } > script.sql
  printf 'select 1;\nselect * from no_such_table;\nselect 2;\n' > error.sql
}

cases() {
  case_ script input script.sql                      # SQL on stdin, :memory: db
  case_ script-echo-bail input script.sql -echo -bail
  case_ error-continues input error.sql              # error on stderr, exit 1
  case_ error-bail input error.sql -bail
  case_ command-args none - -csv :memory: "select 6*7 as answer, 'a,b' as s"
}
