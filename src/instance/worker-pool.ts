import { Worker } from 'node:worker_threads';
import type { FromWorker } from './worker-protocol.js';

export interface BootedWorker {
  worker: Worker;
  /** The host thread id of the worker. */
  tid: number;
}

const WORKER_ENTRY = new URL('./worker-main.js', import.meta.url);

/** Boots one worker thread and resolves once it is ready for a guest. */
export function bootWorker(): Promise<BootedWorker> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_ENTRY, { stdout: false, stderr: false });
    const onMessage = (message: FromWorker) => {
      if (message.type !== 'booted') return;
      cleanup();
      resolve({ worker, tid: message.tid });
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`guest worker exited with code ${code} while booting`));
    };
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

/**
 * Keeps `spares` workers booted so that Create never waits for a thread and
 * an isolate to boot (about 20-35 ms each, measured on this kind of machine).
 */
export class WorkerPool {
  private readonly ready: Promise<BootedWorker>[] = [];
  private closed = false;

  private spares: number;

  constructor(spares = 1) {
    this.spares = spares;
    this.refill();
  }

  /**
   * How many booted workers to keep waiting. A daemon whose group expects more
   * containers (a pod, a shared group) keeps one; a daemon of a single container
   * keeps none once its guest runs, and an exec then boots its own worker.
   */
  setSpares(spares: number): void {
    this.spares = spares;
    for (const extra of this.ready.splice(spares)) void extra.then((b) => b.worker.terminate(), () => undefined);
    this.refill();
  }

  async take(): Promise<BootedWorker> {
    const next = this.ready.shift() ?? bootWorker();
    this.refill();
    try {
      return await next;
    } catch {
      // A spare that failed to boot is retried once, fresh.
      return bootWorker();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const spares = this.ready.splice(0);
    await Promise.all(spares.map(async (p) => (await p.catch(() => undefined))?.worker.terminate()));
  }

  private refill(): void {
    while (!this.closed && this.ready.length < this.spares) {
      const booting = bootWorker();
      booting.catch(() => {}); // surfaced by take()
      this.ready.push(booting);
    }
  }
}
