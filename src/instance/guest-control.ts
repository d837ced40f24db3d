import { InternalError } from '../errors.js';
import { SET_CAP_GLOBAL, STATS_GLOBAL, type GuestMemoryReport } from './guest-memory.js';
import type { WorkerInspector } from './worker-inspector.js';

/** How long a pause may take to land; V8 interrupts even a tight wasm loop within milliseconds. */
const PAUSE_TIMEOUT_MS = 5_000;

/**
 * Pauses, resumes and measures one guest's worker through the daemon's
 * inspector session: the one channel besides the worker protocol
 * (worker-protocol.ts), for what must reach a guest that never yields to its
 * event loop: pause/resume, memory stats and memory-limit changes. A pause is a debugger pause: the isolate waits in its
 * inspector loop, on a condition variable, using no CPU, wherever the guest
 * was (in wasm, or suspended in a WASI call), and resumes exactly there.
 */
export class GuestControl {
  private paused = false;

  constructor(
    private readonly inspector: WorkerInspector,
    private readonly threadId: number,
  ) {}

  get isPaused(): boolean {
    return this.paused;
  }

  async pause(): Promise<void> {
    if (this.paused) return;
    const landed = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new InternalError(`the guest did not pause within ${PAUSE_TIMEOUT_MS} ms`)), PAUSE_TIMEOUT_MS);
      this.inspector.listen(this.threadId, (method) => {
        if (method !== 'Debugger.paused') return;
        clearTimeout(timer);
        resolve();
      });
    });
    landed.catch(() => {});
    await this.inspector.send(this.threadId, 'Debugger.enable');
    await this.inspector.send(this.threadId, 'Debugger.pause');
    // A guest suspended in a WASI call runs no JavaScript, so the pause would land only at its
    // next event; running a statement now makes it land at once. Its answer comes after resume.
    await this.inspector.post(this.threadId, 'Runtime.evaluate', { expression: '0' });
    await landed;
    this.paused = true;
  }

  async resume(): Promise<void> {
    if (!this.paused) return;
    this.inspector.listen(this.threadId, undefined);
    await this.inspector.send(this.threadId, 'Debugger.resume');
    this.paused = false;
    // Leave the debugger off while running: it would only add work to the isolate.
    await this.inspector.send(this.threadId, 'Debugger.disable');
  }

  /** Lets a paused isolate run again without waiting; used right after terminate() so the termination lands. */
  release(): void {
    if (!this.paused) return;
    this.paused = false;
    void this.inspector.post(this.threadId, 'Debugger.resume').catch(() => {});
  }

  async memory(): Promise<GuestMemoryReport> {
    const value = (await this.evaluate(`globalThis.${STATS_GLOBAL}?.()`)) as Partial<GuestMemoryReport> | undefined;
    return {
      linearMemoryBytes: value?.linearMemoryBytes ?? 0,
      engineHeapBytes: value?.engineHeapBytes ?? 0,
      growRefused: value?.growRefused ?? 0,
    };
  }

  /** Sets the guest's memory cap at once, even mid-computation; false when its module has no cap. */
  async setMemoryLimit(limitBytes: number | undefined): Promise<boolean> {
    return (await this.evaluate(`globalThis.${SET_CAP_GLOBAL}?.(${limitBytes ?? 'null'}) ?? false`)) === true;
  }

  private async evaluate(expression: string): Promise<unknown> {
    const reply = (await this.inspector.send(this.threadId, 'Runtime.evaluate', { expression, returnByValue: true })) as {
      result?: { value?: unknown };
    };
    return reply.result?.value;
  }

  forget(): void {
    this.inspector.forget(this.threadId);
  }
}
