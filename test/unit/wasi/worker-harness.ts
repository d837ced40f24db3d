import { Worker } from 'node:worker_threads';
import type { WasiHostOptions } from '../../../src/wasi/index.js';

const RUNNER = new URL('./fixtures/guest-runner.mjs', import.meta.url);

export interface GuestWorker {
  worker: Worker;
  started: Promise<void>;
  exited: Promise<number>;
  ticks: () => number;
}

/** Runs a guest in a worker thread, as the engine does. */
export function runInWorker(wasm: Uint8Array, options: WasiHostOptions): GuestWorker {
  const worker = new Worker(RUNNER, { workerData: { wasm, options }, stdout: false, stderr: false });
  let ticks = 0;
  let onStarted!: () => void;
  let onExit!: (code: number) => void;
  const started = new Promise<void>((resolve) => (onStarted = resolve));
  const exited = new Promise<number>((resolve, reject) => {
    onExit = resolve;
    worker.on('error', reject);
  });
  worker.on('message', (m: { type: string; code?: number }) => {
    if (m.type === 'tick') ticks++;
    else if (m.type === 'started') onStarted();
    else if (m.type === 'exit') onExit(m.code as number);
  });
  return { worker, started, exited, ticks: () => ticks };
}

/** How long worker.terminate() takes, in milliseconds. */
export async function timeTerminate(worker: Worker): Promise<number> {
  const before = performance.now();
  await worker.terminate();
  return performance.now() - before;
}

export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
