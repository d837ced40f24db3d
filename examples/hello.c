// The demo module: a WASI preview 1 command that greets, shows what the
// container gave it, and exits 0. Built by scripts/demo with Debian's clang.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

extern char **environ;

int main(int argc, char **argv) {
  printf("Hello from a WebAssembly module, run by wasmts under containerd!\n");
  for (int i = 0; i < argc; i++) printf("  argv[%d] = %s\n", i, argv[i]);
  for (char **e = environ; *e != NULL; e++) printf("  env: %s\n", *e);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  printf("  the guest's clock says %lld seconds since the epoch\n", (long long)now.tv_sec);
  return 0;
}
