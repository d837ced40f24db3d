/**
 * What a signal does to a wasm guest. WASI preview 1 gives guests no signal
 * handlers, so each signal takes its Linux default action: most end the
 * process (exit status 128+signal), a few are ignored, and stop/continue
 * would pause and resume it.
 */
export type SignalDisposition = 'terminate' | 'ignore' | 'stop' | 'continue';

const SIGCHLD = 17;
const SIGCONT = 18;
const SIGSTOP = 19;
const SIGTSTP = 20;
const SIGTTIN = 21;
const SIGTTOU = 22;
const SIGURG = 23;
const SIGWINCH = 28;

export function signalDisposition(signal: number): SignalDisposition {
  switch (signal) {
    case 0: // a liveness probe: nothing is delivered
    case SIGCHLD:
    case SIGURG:
    case SIGWINCH:
      return 'ignore';
    case SIGCONT:
      return 'continue';
    case SIGSTOP:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
      return 'stop';
    default:
      return 'terminate';
  }
}

/** The exit status of a process ended by `signal`, as a shell reports it. */
export function exitStatusForSignal(signal: number): number {
  return 128 + signal;
}
