import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { FromWorker } from './worker-protocol.js';
import { GUEST_WORKER_BUNDLE } from '../layout.js';

export interface BootedWorker {
  worker: Worker;
  /** The host thread id of the worker. */
  tid: number;
}

const WORKER_ENTRY = GUEST_WORKER_BUNDLE;

/**
 * The stack a guest's wasm runs on. Under JSPI it runs on a secondary stack of
 * V8's (984 KiB by default), far less than the 8 MiB a native program gets, so
 * deeply recursive programs (a JSON parser on 10,000 nested arrays) trapped with
 * a stack overflow where their native build ran. Pages are reserved, not used:
 * memory grows only as deep as the guest recurses.
 */
const GUEST_STACK_MIB = 64;

/**
 * The young generation of a guest's isolate. The host code there allocates little
 * and briefly (views, promises); V8's default lets it grow to tens of MiB per
 * thread under load, and a thread per guest makes that the density's business.
 * Measured here: no change in stdout throughput, about 0.5 MiB less per idle worker.
 */
const GUEST_YOUNG_GENERATION_MIB = 2;

let stackFlagsSet = false;
/**
 * V8 reads these when an isolate or a wasm stack is created, so setting them
 * before the first worker boots gives every guest the larger stack; the daemon's
 * own isolate (created earlier) keeps its limit. The limit stays below the stack
 * reserved, so an overflow is a trap, never a crash.
 */
function setGuestStackFlags(): void {
  if (stackFlagsSet) return;
  stackFlagsSet = true;
  v8.setFlagsFromString(`--wasm-stack-switching-stack-size=${GUEST_STACK_MIB * 1024}`);
  v8.setFlagsFromString(`--stack-size=${GUEST_STACK_MIB * 1024 - 1024}`);
}

/** Boots one worker thread and resolves once it is ready for a guest. */
export function bootWorker(entry: URL = WORKER_ENTRY): Promise<BootedWorker> {
  return new Promise((resolve, reject) => {
    setGuestStackFlags();
    const worker = new Worker(entry, { stdout: false, stderr: false, resourceLimits: { stackSizeMb: GUEST_STACK_MIB, maxYoungGenerationSizeMb: GUEST_YOUNG_GENERATION_MIB } });
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

/** How many booted workers may wait for a guest at most (spares and workers given back). */
const MAX_IDLE = 2;

/**
 * How long waiting workers are kept once no guest has taken or given back one.
 * Containers come in bursts (a pod's, a deployment's); between bursts a waiting
 * worker is an isolate's memory (about 15 MiB) for nothing, per daemon.
 */
export const WORKER_IDLE_MS = 30_000;

/**
 * Keeps `spares` workers booted so that Create never waits for a thread and
 * an isolate to boot (about 20-35 ms each, measured on this kind of machine).
 * Given an idle period (setIdlePeriod), the waiting workers end once that long
 * passed without a take or a give, and the next take boots its worker (and the
 * spares) again; without one (a spare daemon's pool, waiting to be claimed) they stay.
 */
export class WorkerPool {
  private readonly ready: Promise<BootedWorker>[] = [];
  private closed = false;
  /** Set while idle: the waiting workers were let go and are not replaced until the next take. */
  private dormant = false;
  private idleTimer: NodeJS.Timeout | undefined;

  private spares: number;
  /** The worker's entry script: the guest worker bundle (tests load worker-main from source through a small wrapper). */
  private readonly entry: URL;
  private idleMs = Number.POSITIVE_INFINITY;

  constructor(spares = 1, entry: URL = WORKER_ENTRY) {
    this.spares = spares;
    this.entry = entry;
    this.refill();
  }

  /** Lets the waiting workers go after `idleMs` without a take or a give (from now on). */
  setIdlePeriod(idleMs: number): void {
    this.idleMs = idleMs;
    this.touch();
  }

  /** How many workers wait (booted or booting). */
  get waiting(): number {
    return this.ready.length;
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

  /**
   * Lets the waiting workers go and boots the spares anew: the daemon moved (into
   * a pod's network namespace or cgroup), and a thread keeps the network
   * namespace it was born in.
   */
  renew(): void {
    void this.letWaitingGo(); // takes them off the list at once; they end in the background
    this.refill();
  }

  async take(): Promise<BootedWorker> {
    this.dormant = false;
    this.touch();
    try {
      return await this.nextLive();
    } finally {
      // The idle period runs from when the guest got its worker (a boot can be slow).
      this.dormant = false;
      this.refill();
      this.touch();
    }
  }

  private async nextLive(): Promise<BootedWorker> {
    for (;;) {
      const next = this.ready.shift() ?? bootWorker(this.entry);
      this.refill();
      let booted: BootedWorker;
      try {
        booted = await next;
      } catch {
        // A spare that failed to boot is retried once, fresh.
        return bootWorker(this.entry);
      }
      // A worker that ended while it waited (its threadId is then -1) is passed over.
      if (booted.worker.threadId !== -1) return booted;
    }
  }

  /**
   * Takes back a worker whose guest ended cleanly, for the next guest; up to
   * MAX_IDLE wait, the rest end (each costs the memory of an isolate).
   */
  give(booted: BootedWorker): void {
    this.touch();
    if (this.closed || this.ready.length >= MAX_IDLE) {
      void booted.worker.terminate();
      return;
    }
    // Nobody listens to it while it waits: an error must not become the daemon's.
    if (booted.worker.listenerCount('error') === 0) booted.worker.on('error', () => {});
    this.ready.unshift(Promise.resolve(booted));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idleTimer);
    await this.letWaitingGo();
  }

  /** Restarts the idle period: a guest came or went. */
  private touch(): void {
    clearTimeout(this.idleTimer);
    if (this.closed || !Number.isFinite(this.idleMs)) return;
    this.idleTimer = setTimeout(() => {
      this.dormant = true;
      void this.letWaitingGo();
    }, this.idleMs);
    this.idleTimer.unref();
  }

  private async letWaitingGo(): Promise<void> {
    const waiting = this.ready.splice(0);
    await Promise.all(waiting.map(async (p) => (await p.catch(() => undefined))?.worker.terminate()));
  }

  private refill(): void {
    while (!this.closed && !this.dormant && this.ready.length < this.spares) {
      const booting = bootWorker(this.entry);
      booting.catch(() => {}); // surfaced by take()
      this.ready.push(booting);
    }
  }
}
