/*
 * wasmts-netns.node: moves the calling thread into a network namespace.
 *
 * Node.js has no setns(2). A warm spare daemon boots in the host's network; when
 * it is claimed for a Kubernetes pod it must live in the pod's network namespace,
 * where every socket its guests open belongs. setns(2) with CLONE_NEWNET moves
 * the calling thread only: the daemon calls it on its main thread before it
 * opens any socket for a guest or starts a guest's worker thread (threads
 * inherit the namespace of the thread that creates them), and so do the child
 * processes it spawns afterwards.
 *
 * Built without the C library's headers or startup files (see
 * scripts/build-native.mjs): open, setns and close resolve against the C
 * library that Node.js itself is linked with when the addon is loaded.
 */
#include <node_api.h>

extern int open(const char *path, int flags, ...);
extern int setns(int fd, int nstype);
extern int close(int fd);
extern int *__errno_location(void);

/* The same on every Linux architecture Node.js runs on (asm-generic and x86). */
#define WASMTS_O_RDONLY 0
#define WASMTS_O_CLOEXEC 02000000
#define WASMTS_CLONE_NEWNET 0x40000000

#define PATH_LIMIT 4096

/*
 * enterNetworkNamespace(path): 0 once the calling thread is in the namespace
 * `path` names (an nsfs file: /proc/<pid>/ns/net, /var/run/netns/<name>);
 * else -errno when the file cannot be opened, errno when setns refuses it.
 */
static napi_value enter_network_namespace(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char path[PATH_LIMIT];
  size_t length = 0;
  napi_value result;
  int outcome = 0;

  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_string_utf8(env, argv[0], path, sizeof path, &length) != napi_ok || length == 0 ||
      length >= sizeof path - 1) {
    napi_throw_type_error(env, NULL, "enterNetworkNamespace: expected the path of a network namespace");
    return NULL;
  }
  int fd = open(path, WASMTS_O_RDONLY | WASMTS_O_CLOEXEC);
  if (fd < 0) {
    outcome = -*__errno_location();
  } else {
    if (setns(fd, WASMTS_CLONE_NEWNET) != 0) outcome = *__errno_location();
    close(fd);
  }
  napi_create_int32(env, outcome, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "enterNetworkNamespace", NAPI_AUTO_LENGTH, enter_network_namespace, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "enterNetworkNamespace", fn) != napi_ok) return NULL;
  return exports;
}
