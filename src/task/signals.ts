/**
 * What a signal does to a wasm guest. WASI preview 1 gives guests no signal
 * handlers, so each signal takes its Linux default action: most end the
 * process (exit status 128+signal), a few are ignored, and stop/continue
 * would pause and resume it.
 */
import { Signal } from '../exit-status.js';

export type SignalDisposition = 'terminate' | 'ignore' | 'stop' | 'continue';

const { SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG, SIGWINCH } = Signal;

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
