import type { Worker } from 'node:worker_threads';
import { ExitStatus, statusForSignal } from '../exit-status.js';
import { FailedPreconditionError, InternalError, errorOf } from '../errors.js';
import { GuestControl } from './guest-control.js';
import type { ExitResult, Instance, InstanceStats, ModuleInfo } from './instance.js';
import { threadCpu, type ThreadCpu } from './thread-cpu.js';
import type { WorkerInspector } from './worker-inspector.js';
import type { BootedWorker } from './worker-pool.js';
import { CLOSE_TIMEOUT_MS, OUTPUT_DRAIN_TIMEOUT_MS, type FromWorker, type ToWorker, type WorkerGuestConfig } from './worker-protocol.js';

/** A worker that said `ended` but not `exit` within this is ended, and the exit reported: a backstop only. */
const EXIT_BACKSTOP_MS = OUTPUT_DRAIN_TIMEOUT_MS + CLOSE_TIMEOUT_MS + 2_000;

/** Exit status when the worker thread itself died (not the guest): containerd's "unknown". */
const WORKER_DIED_STATUS = ExitStatus.FAILED_TO_START;

/**
 * Where a worker instance is:
 * - `running`: the worker is prepared, or runs the guest;
 * - `draining`: the guest ended (its status is decided) and the worker waits for its output to be read;
 * - `exited`: the worker said `exit` and the exit is reported; the thread is being terminated;
 * - `gone`: the thread has ended (reporting the exit then, if it was not yet).
 * Any phase moves to `gone` when the thread ends (kill, a crash, the backstop).
 */
type WorkerPhase = 'running' | 'draining' | 'exited' | 'gone';

/** What becomes of a worker whose guest ended cleanly: the pool takes it back for the next guest. */
export type WorkerRecycler = (booted: BootedWorker) => void;

/**
 * One guest running in its own worker thread. Kill terminates the thread, in
 * any state. A guest that ended by itself, its fds closed, gives its thread
 * back (see `recycle`): the next guest of the daemon runs there without a boot.
 */
export class WorkerInstance implements Instance {
  readonly pid: number;
  private readonly worker: Worker;
  private readonly exited: Promise<ExitResult>;
  private resolveExit!: (result: ExitResult) => void;
  private phase: WorkerPhase = 'running';
  private resolveWorkerEnded!: () => void;
  private readonly workerEnded = new Promise<void>((resolve) => {
    this.resolveWorkerEnded = resolve;
  });
  private drainTimer: NodeJS.Timeout | undefined;
  /** The status to report when the worker goes away, once decided (guest exit or signal). */
  private decidedStatus: number | undefined;
  private waiters = new Map<FromWorker['type'], (message: FromWorker) => void>();
  private readonly control: GuestControl;
  /** Memory last measured, reported once the guest has ended. */
  private lastMemory = { linearMemoryBytes: 0, engineHeapBytes: 0, growRefused: 0 };
  private outOfMemory = false;
  /** Set when the worker said `exit`: the guest ended and its output reached its readers. */
  private outputDrained = false;
  /** Set once a kill is under way: the thread is being terminated and must not be handed on. */
  private killed = false;
  private readonly booted: BootedWorker;
  /** The thread's CPU when this guest got it (a recycled thread ran others before), and this guest's total once it left. */
  private readonly cpuBase: ThreadCpu;
  private cpuFinal: ThreadCpu | undefined;
  private readonly onMessageBound = (message: FromWorker) => this.onMessage(message);
  private readonly onErrorBound = () => {
    this.decidedStatus ??= WORKER_DIED_STATUS;
  };
  private readonly onExitBound = () => this.onWorkerExit();

  private constructor(
    booted: BootedWorker,
    private readonly name: string,
    private readonly clock: () => Date,
    inspector: WorkerInspector,
    readonly module: ModuleInfo | undefined,
    private readonly recycle: WorkerRecycler | undefined,
  ) {
    this.booted = booted;
    this.worker = booted.worker;
    this.pid = booted.tid;
    this.cpuBase = threadCpu(booted.tid);
    this.control = new GuestControl(inspector, booted.worker.threadId);
    this.exited = new Promise((resolve) => {
      this.resolveExit = resolve;
    });
    this.worker.on('message', this.onMessageBound);
    this.worker.on('error', this.onErrorBound);
    this.worker.on('exit', this.onExitBound);
  }

  /** Instantiates the module in the booted worker without running it. */
  static async prepare(
    booted: BootedWorker,
    module: WebAssembly.Module,
    config: WorkerGuestConfig,
    name: string,
    clock: () => Date,
    inspector: WorkerInspector,
    moduleInfo?: ModuleInfo,
    recycle?: WorkerRecycler,
  ): Promise<WorkerInstance> {
    const instance = new WorkerInstance(booted, name, clock, inspector, moduleInfo, recycle);
    const reply = await instance.request({ type: 'prepare', module, config }, 'prepared');
    if (reply.type === 'failed') {
      await instance.kill(9);
      throw errorOf(reply.code, `${name}: cannot instantiate the module: ${reply.message}`);
    }
    return instance;
  }

  async start(): Promise<void> {
    const reply = await this.request({ type: 'start' }, 'started');
    if (reply.type === 'failed') throw errorOf(reply.code, `${this.name}: cannot start: ${reply.message}`);
  }

  async closeStdin(): Promise<void> {
    if (!this.gone) this.worker.postMessage({ type: 'close-stdin' } satisfies ToWorker);
  }

  async kill(signal: number): Promise<void> {
    if (this.gone) return;
    this.killed = true;
    this.decidedStatus ??= statusForSignal(signal);
    const terminated = this.worker.terminate();
    // A paused isolate sits in its debugger loop; released, it meets the pending termination at once.
    this.control.release();
    await terminated;
  }

  async pause(): Promise<void> {
    if (this.gone) return;
    try {
      await this.control.pause();
    } catch (cause) {
      if (this.gone) return;
      throw new InternalError(`${this.name}: cannot pause the guest`, { cause });
    }
  }

  async resume(): Promise<void> {
    if (this.gone) return;
    try {
      await this.control.resume();
    } catch (cause) {
      if (this.gone) return;
      throw new InternalError(`${this.name}: cannot resume the guest`, { cause });
    }
  }

  async stats(): Promise<InstanceStats> {
    if (!this.gone) {
      try {
        this.lastMemory = await this.control.memory();
      } catch {
        // The worker ended meanwhile, or is between states: the last measure stands.
      }
    }
    const cpu = this.cpuFinal ?? this.cpuSoFar();
    return { ...this.lastMemory, cpuUserNs: cpu.userNs, cpuSystemNs: cpu.systemNs, cpuTotalNs: cpu.totalNs };
  }

  /** This guest's share of its thread's CPU. */
  private cpuSoFar(): ThreadCpu {
    const now = threadCpu(this.pid);
    return {
      userNs: Math.max(0, now.userNs - this.cpuBase.userNs),
      systemNs: Math.max(0, now.systemNs - this.cpuBase.systemNs),
      totalNs: Math.max(0, now.totalNs - this.cpuBase.totalNs),
    };
  }

  async setMemoryLimit(limitBytes: number | undefined): Promise<void> {
    if (this.gone) return;
    let applied: boolean;
    try {
      applied = await this.control.setMemoryLimit(limitBytes);
    } catch (cause) {
      if (this.gone) return;
      throw new InternalError(`${this.name}: cannot change the memory limit`, { cause });
    }
    if (!applied && !this.gone) {
      throw new FailedPreconditionError(
        `${this.name}: its memory limit cannot change while it runs: it was started without one; recreate it with a memory limit`,
      );
    }
  }

  /** The worker thread has ended: nothing can be asked of it any more. */
  private get gone(): boolean {
    return this.phase === 'gone';
  }

  wait(): Promise<ExitResult> {
    return this.exited;
  }

  async delete(): Promise<void> {
    if (this.phase === 'exited') await this.workerEnded;
    if (!this.gone) await this.kill(9);
    await this.exited;
  }

  private request(message: ToWorker, answer: FromWorker['type']): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      if (this.gone) {
        reject(new InternalError(`${this.name}: the guest's worker has already ended`));
        return;
      }
      this.waiters.set(answer, resolve);
      this.waiters.set('failed', resolve);
      this.worker.postMessage(message);
    });
  }

  private onMessage(message: FromWorker): void {
    if (message.type === 'ended') {
      this.phase = 'draining';
      this.decidedStatus ??= message.exitStatus;
      this.outOfMemory = message.outOfMemory && this.decidedStatus === message.exitStatus;
      this.lastMemory.growRefused = message.growRefused;
      this.drainTimer = setTimeout(() => void this.worker.terminate(), EXIT_BACKSTOP_MS);
      this.drainTimer.unref();
      return;
    }
    if (message.type === 'exit') {
      // Output has reached its readers and the guest's fds are closed: now the exit may be known.
      this.outputDrained = true;
      this.reportExit();
      if (message.reusable && this.recycle !== undefined && !this.killed && !this.control.isPaused) {
        this.handBack(this.recycle);
        return;
      }
      this.phase = 'exited';
      void this.worker.terminate();
      return;
    }
    const waiter = this.waiters.get(message.type);
    if (waiter !== undefined) {
      this.waiters.clear();
      waiter(message);
    }
  }

  /** Gives the thread, its guest forgotten, to the pool: this instance is over, as if its thread had ended. */
  private handBack(recycle: WorkerRecycler): void {
    this.cpuFinal = this.cpuSoFar();
    this.worker.off('message', this.onMessageBound);
    this.worker.off('error', this.onErrorBound);
    this.worker.off('exit', this.onExitBound);
    if (this.drainTimer !== undefined) clearTimeout(this.drainTimer);
    this.phase = 'gone';
    this.resolveWorkerEnded();
    recycle(this.booted);
  }

  private onWorkerExit(): void {
    const reported = this.phase === 'exited';
    this.phase = 'gone';
    this.resolveWorkerEnded();
    this.control.forget();
    const pending = [...new Set(this.waiters.values())];
    this.waiters.clear();
    for (const waiter of pending) waiter({ type: 'failed', message: 'the worker ended', code: 'ERR_INTERNAL' });
    if (this.drainTimer !== undefined) clearTimeout(this.drainTimer);
    if (!reported) this.reportExit();
  }

  /** Called once: on `exit`, or when the thread ended without one. */
  private reportExit(): void {
    this.resolveExit({
      exitStatus: this.decidedStatus ?? WORKER_DIED_STATUS,
      exitedAt: this.clock(),
      ...(this.outOfMemory ? { outOfMemory: true } : {}),
      growRefused: this.lastMemory.growRefused,
      ...(this.outputDrained ? { outputDrained: true } : {}),
    });
  }
}
