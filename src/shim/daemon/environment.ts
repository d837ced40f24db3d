/**
 * Every environment variable wasmts reads, in one place. containerd passes its
 * own environment to the shims it starts, so these are set where containerd
 * runs (its systemd unit, or `env` in a test rig); the daemons hand the ones
 * they need on to their spares.
 *
 * Also read outside TypeScript: WASMTS_HOME, by the `sh` wrapper
 * (bin/containerd-shim-wasmts-v1), where the runtime is installed.
 */
export const Env = {
  /** `0` turns spare daemons off. */
  SPARE: 'WASMTS_SPARE',
  /** Seconds an unclaimed spare waits before it exits (default 600). */
  SPARE_IDLE_SECONDS: 'WASMTS_SPARE_IDLE_SECONDS',
  /** Set by wasmts: the network a spare waits in (`host` or `new`). */
  SPARE_NETWORK: 'WASMTS_SPARE_NETWORK',
  /** Set by wasmts: the containerd a spare belongs to (its gRPC socket). */
  SPARE_CONTAINERD: 'WASMTS_SPARE_CONTAINERD',
  /** Set by wasmts in a cold daemon's environment: more containers will join its group. */
  SHARED_GROUP: 'WASMTS_SHARED_GROUP',
  /** MiB of module bytes a daemon keeps compiled for its next containers (default 256); `0` turns the compile cache off. */
  MODULE_CACHE_MB: 'WASMTS_MODULE_CACHE_MB',
  /** Set by wasmts for a pod's daemon: the cgroups of the `start` that launched it, where it goes back before removing the pod's. */
  ORIGIN_CGROUPS: 'WASMTS_ORIGIN_CGROUPS',
  /** Set by wasmts in the daemon shared by a namespace's containers that can run in the host's network. */
  NAMESPACE_DAEMON: 'WASMTS_NAMESPACE_DAEMON',
  /** Set by wasmts for `start` when a shared daemon hands a container on: give it a daemon of its own. */
  OWN_DAEMON: 'WASMTS_OWN_DAEMON',
  /** `2` pins task API v2 (rules v3 out, e.g. while debugging). */
  TASK_API: 'WASMTS_TASK_API',
} as const;
