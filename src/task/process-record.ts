import type { ExitResult, Instance } from '../instance/instance.js';
import type { Logger, OpenedStdio } from './collaborators.js';
import type { StdioPaths } from './events.js';
import { nextState, statusOf, type ProcessOperation, type ProcessState } from './state.js';

/** One process of a task: the init (execId '') or an exec. */
export class ProcessRecord {
  state: ProcessState = 'created';
  exit: ExitResult | undefined;
  /** An exit that arrived while Start was still publishing /tasks/start. */
  pendingExit: ExitResult | undefined;
  readonly exited: Promise<ExitResult>;
  private resolveExited!: (result: ExitResult) => void;

  constructor(
    readonly containerId: string,
    readonly execId: string,
    readonly instance: Instance,
    readonly stdio: OpenedStdio,
    readonly paths: StdioPaths,
    /** Lines about this process, carrying its task (and exec) id. */
    readonly log: Logger,
  ) {
    this.exited = new Promise((resolve) => {
      this.resolveExited = resolve;
    });
  }

  get pid(): number {
    return this.instance.pid;
  }

  /** Not yet ended: a signal, a pause or CloseIO still reaches it. */
  get isLive(): boolean {
    return this.state === 'created' || this.state === 'starting' || this.state === 'running' || this.state === 'paused';
  }

  get isInit(): boolean {
    return this.execId === '';
  }

  /** How messages name this process: "task web" or "exec e1 of task web". */
  get name(): string {
    return this.isInit ? `task ${this.containerId}` : `exec ${this.execId} of task ${this.containerId}`;
  }

  get status(): number {
    return statusOf(this.state);
  }

  move(operation: ProcessOperation): void {
    this.state = nextState(this.state, operation, this.name);
  }

  recordExit(result: ExitResult): void {
    this.move('exit');
    this.exit = result;
    this.resolveExited(result);
  }
}
