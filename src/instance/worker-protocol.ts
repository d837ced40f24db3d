/**
 * Messages between the daemon and a guest's worker thread. The daemon sends
 * `prepare` (instantiate, do not run) then `start`; the worker answers each and
 * finally reports `exit` once the guest ended and its output was flushed.
 */

export interface WorkerGuestConfig {
  args: string[];
  env: string[];
  cwd: string;
  rootfsPath: string;
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
  | { type: 'close-stdin' };

export type FromWorker =
  | { type: 'booted'; tid: number }
  | { type: 'prepared' }
  | { type: 'failed'; message: string }
  | { type: 'started' }
  | { type: 'exit'; exitStatus: number; outOfMemory: boolean; growRefused: number }
  | { type: 'flushed' };
