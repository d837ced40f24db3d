import { Worker } from 'node:worker_threads';
import { bootWorker } from '../../../src/instance/worker-pool.js';
import type { FromWorker, ToWorker, WorkerGuestConfig } from '../../../src/instance/worker-protocol.js';
import { tempDir } from './helpers.js';

/** The engine's own worker entry (src/instance/worker-main.ts), loaded from source. */
const ENTRY = new URL('../instance/fixtures/worker-entry.mjs', import.meta.url);

export interface GuestWorker {
  worker: Worker;
  started: Promise<void>;
  exited: Promise<number>;
  /** Pongs to the pings sent every 10 ms: the worker's event loop answers while the guest waits. */
  ticks: () => number;
}

/**
 * Runs a guest in a worker thread exactly as the engine does: the real worker
 * entry, driven through the worker protocol (prepare, start, then `ended` and
 * `exit`), with a rootfs of its own unless one is given.
 */
export function runInWorker(wasm: Uint8Array, stdio: Pick<WorkerGuestConfig, 'stdin' | 'stdout' | 'stderr'> & { rootfsPath?: string } = {}): GuestWorker {
  const config: WorkerGuestConfig = { args: ['g'], env: [], cwd: '/', rootfsPath: stdio.rootfsPath ?? tempDir('wasi-worker-root-'), ...stdio };
  const module = new WebAssembly.Module(wasm);
  let ticks = 0;
  let worker!: Worker;
  let onStarted!: () => void;
  const started = new Promise<void>((resolve) => (onStarted = resolve));
  let onExit!: (code: number) => void;
  let onError!: (error: Error) => void;
  const exited = new Promise<number>((resolve, reject) => {
    onExit = resolve;
    onError = reject;
  });
  const booted = bootWorker(ENTRY).then((b) => {
    worker = b.worker;
    let status = -1;
    const send = (message: ToWorker) => worker.postMessage(message);
    const pinger = setInterval(() => send({ type: 'ping' }), 10);
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'pong') ticks++;
      else if (message.type === 'prepared') send({ type: 'start' });
      else if (message.type === 'started') onStarted();
      else if (message.type === 'failed') onError(new Error(message.message));
      else if (message.type === 'ended') status = message.exitStatus;
      else if (message.type === 'exit') onExit(status);
    });
    worker.on('exit', () => clearInterval(pinger));
    worker.on('error', onError);
    send({ type: 'prepare', module, config });
    return b.worker;
  });
  const handle: GuestWorker = {
    get worker() {
      return worker;
    },
    started: booted.then(() => started),
    exited,
    ticks: () => ticks,
  };
  return handle;
}

/** How long worker.terminate() takes, in milliseconds. */
export async function timeTerminate(worker: Worker): Promise<number> {
  const before = performance.now();
  await worker.terminate();
  return performance.now() - before;
}

export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
