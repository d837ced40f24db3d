/**
 * Messages between the daemon and a guest's worker thread. The daemon sends
 * `prepare` (instantiate, do not run) then `start`; the worker answers each,
 * says `ended` with the exit status as soon as the guest ended, and `exit` once
 * the guest's output has reached its readers (or the drain timed out) and its
 * fds are closed. The daemon reports the task's exit on `exit`, never before.
 *
 * This is one of the two channels to a worker. The other is the daemon's
 * inspector session (guest-control.ts), and it carries exactly three things:
 * pause/resume, memory stats and memory-limit changes. Those must work while
 * the guest runs wasm without ever returning to the worker's event loop (a
 * spinning guest never reads a message); V8's inspector interrupts it there.
 */

import type { ErrorCode } from '../errors.js';
import type { GuestMount } from '../wasi/index.js';
/**
 * How long an ended guest's output may wait for a reader that is there but
 * behind before the exit is reported anyway. With no reader at all (ctr run -d)
 * there is no wait (see pipe-drain.ts).
 */
export const OUTPUT_DRAIN_TIMEOUT_MS = 10_000;
/** How long closing the guest's fds may take after the drain before the worker reports anyway. */
export const CLOSE_TIMEOUT_MS = 1_000;

export interface WorkerGuestConfig {
  args: string[];
  env: string[];
  cwd: string;
  rootfsPath: string;
  rootReadOnly?: boolean;
  mounts?: GuestMount[];
  stdin?: number;
  stdout?: number;
  stderr?: number;
  terminal?: boolean;
  /** The guest must start within this much linear memory (its module is rewritten to cap growth). */
  memoryLimitBytes?: number;
  /** Listening sockets to open in the worker and hand to the guest. */
  tcpListen?: { host: string; port: number }[];
}

export type ToWorker =
  | { type: 'prepare'; module: WebAssembly.Module; config: WorkerGuestConfig }
  | { type: 'start' }
  | { type: 'close-stdin' }
  /** A liveness probe, answered by `pong` from the worker's event loop: it runs while the guest waits in a WASI call. */
  | { type: 'ping' };

export type FromWorker =
  | { type: 'booted'; tid: number }
  | { type: 'prepared' }
  /** `code`: the error's kind (errors.ts), so the daemon throws the same kind. */
  | { type: 'failed'; message: string; code: ErrorCode }
  | { type: 'started' }
  | { type: 'ended'; exitStatus: number; outOfMemory: boolean; growRefused: number }
  /** `reusable`: the guest's fds closed in time and nothing of it is left: the thread may run another guest. */
  | { type: 'exit'; reusable: boolean }
  | { type: 'pong' };
