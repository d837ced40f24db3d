import { close } from 'node:fs';
import { Signal, statusForSignal } from '../exit-status.js';
import type { ExitResult, Instance, InstanceStats, StdioFds } from './instance.js';

const { SIGINT, SIGTERM } = Signal;

/** Closes a stdio fd handed to the instance; injected so tests need no real fds. */
export type FdCloser = (fd: number) => void;

const closeFd: FdCloser = (fd) => close(fd, () => {});

export interface SandboxInstanceOptions {
  /** The pid to report: the daemon's own, whose namespaces the pod's containers join. */
  pid: number;
  /** Held open while the sandbox lives, as pause holds its stdio, then closed. */
  stdio: StdioFds;
  clock?: () => Date;
  closeFd?: FdCloser;
}

/**
 * A Kubernetes pod's sandbox ("pause") container: it runs no program, only
 * lasts until it is signalled. Like pause it exits 0 on SIGTERM or SIGINT and
 * 128+signal on any other signal that reaches it.
 */
export class SandboxInstance implements Instance {
  readonly pid: number;
  private readonly clock: () => Date;
  private readonly closeFd: FdCloser;
  private stdio: StdioFds;
  private ended = false;
  private resolveExit!: (result: ExitResult) => void;
  private readonly exited = new Promise<ExitResult>((resolve) => {
    this.resolveExit = resolve;
  });

  constructor(options: SandboxInstanceOptions) {
    this.pid = options.pid;
    this.stdio = options.stdio;
    this.clock = options.clock ?? (() => new Date());
    this.closeFd = options.closeFd ?? closeFd;
  }

  async start(): Promise<void> {}

  async closeStdin(): Promise<void> {}

  async kill(signal: number): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.releaseStdio();
    const exitStatus = signal === SIGTERM || signal === SIGINT ? 0 : statusForSignal(signal);
    this.resolveExit({ exitStatus, exitedAt: this.clock() });
  }

  wait(): Promise<ExitResult> {
    return this.exited;
  }

  // Nothing runs, so there is nothing to stop or to count.
  async pause(): Promise<void> {}

  async resume(): Promise<void> {}

  async stats(): Promise<InstanceStats> {
    return { linearMemoryBytes: 0, engineHeapBytes: 0, cpuUserNs: 0, cpuSystemNs: 0, cpuTotalNs: 0, growRefused: 0 };
  }

  async setMemoryLimit(): Promise<void> {}

  async delete(): Promise<void> {
    this.releaseStdio();
  }

  private releaseStdio(): void {
    for (const fd of [this.stdio.stdin, this.stdio.stdout, this.stdio.stderr]) {
      if (fd !== undefined) this.closeFd(fd);
    }
    this.stdio = {};
  }
}
