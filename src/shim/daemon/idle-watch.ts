import { isServing } from './group-socket.js';

/** How often a lingering daemon looks at its tasks and its containerd. */
const CHECK_MS = 1_000;

export interface IdleWatchOptions {
  /** Tasks the daemon serves now (its own, and those it handed to another shim). */
  tasks: () => number;
  /** How long the daemon may wait without a task, read at each check (runtime options can change it). */
  idleSeconds: () => number;
  /** containerd's gRPC socket: a daemon without tasks outlives nothing, so not its containerd either. */
  containerdSocket: string;
  /** Called once, when the daemon should go. */
  leave: (reason: string) => void;
}

/**
 * Keeps a daemon shared by a namespace's containers alive between tasks, so
 * that the next container finds it booted, and ends it once it has had no
 * task for the idle period or as soon as, having none, its containerd is gone.
 * With tasks it stays whatever containerd does (a containerd restart
 * reconnects to them).
 */
export class IdleWatch {
  private idleSince: number | undefined;
  private readonly timer: NodeJS.Timeout;
  private done = false;
  private readonly options: IdleWatchOptions;

  constructor(options: IdleWatchOptions) {
    this.options = options;
    this.timer = setInterval(() => void this.check(), CHECK_MS);
  }

  stop(): void {
    this.done = true;
    clearInterval(this.timer);
  }

  private async check(): Promise<void> {
    if (this.done) return;
    if (this.options.tasks() > 0) {
      this.idleSince = undefined;
      return;
    }
    const now = Date.now();
    this.idleSince ??= now;
    if (now - this.idleSince >= this.options.idleSeconds() * 1000) return this.finish('idle');
    const up = await isServing(this.options.containerdSocket, 1_000);
    if (!up && this.options.tasks() === 0) this.finish('containerd is gone');
  }

  private finish(reason: string): void {
    if (this.done) return;
    this.stop();
    this.options.leave(reason);
  }
}
