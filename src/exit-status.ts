/**
 * Every exit status wasmts reports that the guest did not choose itself, and the
 * Linux signal numbers they come from, in one place. A guest's own status
 * (proc_exit(n), or 0 when `_start` returns) passes through unchanged; the rest
 * follow what a shell shows for a native process. Imports nothing: every layer
 * uses it.
 */

/** Linux signal numbers (x86-64 and arm64 agree). */
export const Signal = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGABRT: 6,
  SIGKILL: 9,
  SIGTERM: 15,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGWINCH: 28,
} as const;

/** The status of a process ended by `signal`, as a shell reports it: 128 + signal. */
export function statusForSignal(signal: number): number {
  return 128 + signal;
}

export const ExitStatus = {
  /** A trap (unreachable, out-of-bounds access, abort()): what a native abort() gives, 128 + SIGABRT. */
  TRAP: statusForSignal(Signal.SIGABRT),
  /** The guest aborted at its memory limit: what the kernel's OOM killer gives, 128 + SIGKILL. */
  OUT_OF_MEMORY: statusForSignal(Signal.SIGKILL),
  /** `delete` after a crash, for a process whose status nobody saw: as containerd's runc shim reports it. */
  UNKNOWN_AFTER_CRASH: statusForSignal(Signal.SIGKILL),
  /** The process never ran (its worker died, or Start failed). */
  FAILED_TO_START: 255,
} as const;
