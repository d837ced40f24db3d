import { WasiHost } from '../wasi/index.js';
import { closeSync } from 'node:fs';
import type { Engine, Instance, InstanceConfig, StdioFds } from './instance.js';
import { loadModule } from './module-loader.js';
import { WorkerInstance } from './worker-instance.js';
import { WorkerInspector } from './worker-inspector.js';
import type { BootedWorker, WorkerPool } from './worker-pool.js';

function closeFds(stdio: StdioFds): void {
  for (const fd of [stdio.stdin, stdio.stdout, stdio.stderr]) {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Runs each guest in its own worker thread, on our WASI preview 1 host. */
export class WorkerEngine implements Engine {
  constructor(
    private readonly pool: WorkerPool,
    private readonly clock: () => Date = () => new Date(),
    /** Attaches to guest workers only once a pause or a stats call needs it. */
    private readonly inspector = new WorkerInspector(),
  ) {}

  async create(config: InstanceConfig): Promise<Instance> {
    let module: WebAssembly.Module;
    let booted: BootedWorker;
    try {
      module = await loadModule(config.modulePath, config.moduleGuestPath, WasiHost.providedImports());
      booted = await this.pool.take();
    } catch (error) {
      // The stdio fds were handed to us; nobody else will close them.
      closeFds(config.stdio);
      throw error;
    }
    return WorkerInstance.prepare(
      booted,
      module,
      {
        args: config.args,
        env: config.env,
        cwd: config.cwd,
        rootfsPath: config.rootfsPath,
        ...config.stdio,
        ...(config.terminal === true ? { terminal: true } : {}),
      },
      config.id,
      this.clock,
      this.inspector,
    );
  }
}
