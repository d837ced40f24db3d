import { InvalidArgumentError } from '../../../src/errors.js';
import type { Engine, ExitResult, Instance, InstanceConfig, InstanceStats } from '../../../src/instance/instance.js';
import type {
  ContainerPreparer,
  Logger,
  OpenedStdio,
  PreparedContainer,
  StdioOpener,
  TaskServiceDeps,
} from '../../../src/task/collaborators.js';
import type { TaskEvent } from '../../../src/task/events.js';
import type { CreateTaskRequest } from '../../../src/task/messages.js';
import { TaskService } from '../../../src/task/task-service.js';

/** An instance whose life the test drives: `finish(code)` ends it. */
export class StubInstance implements Instance {
  started = false;
  killedWith: number | undefined;
  deleted = false;
  private resolveExit!: (result: ExitResult) => void;
  private readonly exit = new Promise<ExitResult>((resolve) => {
    this.resolveExit = resolve;
  });

  constructor(
    readonly config: InstanceConfig,
    readonly pid: number,
  ) {}

  async start(): Promise<void> {
    this.started = true;
  }

  stdinClosed = false;
  paused = false;
  stats_: InstanceStats = { linearMemoryBytes: 65536, engineHeapBytes: 1000, cpuUserNs: 10, cpuSystemNs: 5, cpuTotalNs: 15, growRefused: 0 };
  memoryLimit: number | undefined = undefined;

  async setMemoryLimit(limitBytes: number | undefined): Promise<void> {
    this.memoryLimit = limitBytes;
  }

  async pause(): Promise<void> {
    this.paused = true;
  }

  async resume(): Promise<void> {
    this.paused = false;
  }

  async stats(): Promise<InstanceStats> {
    return this.stats_;
  }

  async closeStdin(): Promise<void> {
    this.stdinClosed = true;
  }

  async kill(signal: number): Promise<void> {
    this.killedWith = signal;
    this.finish(128 + signal);
  }

  wait(): Promise<ExitResult> {
    return this.exit;
  }

  async delete(): Promise<void> {
    this.deleted = true;
  }

  /** Ends the guest with a full exit result (e.g. outOfMemory). */
  end(result: ExitResult): void {
    this.resolveExit(result);
  }

  finish(exitStatus: number): void {
    this.resolveExit({ exitStatus, exitedAt: new Date(1_700_000_000_000) });
  }
}

export class StubEngine implements Engine {
  readonly instances: StubInstance[] = [];
  failWith: Error | undefined;
  private nextPid = 1000;

  async create(config: InstanceConfig): Promise<Instance> {
    if (this.failWith !== undefined) throw this.failWith;
    const instance = new StubInstance(config, this.nextPid++);
    this.instances.push(instance);
    return instance;
  }
}

export interface HarnessOptions {
  /** The bundle spec's annotations (default none). */
  annotations?: Record<string, string>;
  /** Replaces the stdio opener, whose default hands out a made-up stdout fd 11. */
  stdio?: StdioOpener;
}

export function harness(options: HarnessOptions = {}) {
  const engine = new StubEngine();
  const events: TaskEvent[] = [];
  const released: string[] = [];
  /** Guest paths the task layer asked to resolve in the rootfs. */
  const resolved: string[] = [];
  const preparer: ContainerPreparer = {
    async prepare(id, bundle): Promise<PreparedContainer> {
      return {
        id,
        rootfsPath: `${bundle}/rootfs`,
        rootReadOnly: false,
        mounts: [],
        process: { args: ['/app.wasm', 'a1'], env: ['A=1'], cwd: '/', terminal: false },
        annotations: { ...options.annotations },
        networkNamespace: { kind: 'host' },
        release: async () => {
          released.push(bundle);
        },
      };
    },
    async resolveModule({ rootfsPath }, process, what) {
      const guestPath = process.args[0];
      if (guestPath === undefined) throw new InvalidArgumentError(`${what}: the process has no args, so there is no module to run`);
      resolved.push(guestPath);
      return { name: guestPath, source: { kind: 'file', hostPath: `${rootfsPath}${guestPath}` }, args: process.args };
    },
  };
  const stdio: StdioOpener = options.stdio ?? {
    async open(): Promise<OpenedStdio> {
      return { stdout: 11, close: async () => {} };
    },
  };
  const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };
  const deps: TaskServiceDeps = {
    engine,
    events: { publish: (event) => events.push(event) },
    preparer,
    stdio,
    logger: silent,
    shimPid: 42,
  };
  const service = new TaskService(deps);
  return { service, engine, events, released, resolved };
}

export function createRequest(id: string): CreateTaskRequest {
  return {
    id,
    bundle: `/bundles/${id}`,
    rootfs: [],
    terminal: false,
    stdin: '',
    stdout: `/fifo/${id}-stdout`,
    stderr: `/fifo/${id}-stderr`,
    checkpoint: '',
    parentCheckpoint: '',
  };
}

export const settle = () => new Promise((resolve) => setImmediate(resolve));
