import { WasiHost } from '../wasi/index.js';
import { closeSync } from 'node:fs';
import type { Engine, Instance, InstanceConfig, StdioFds } from './instance.js';
import { loadModule, type LoadedModule } from './module-loader.js';
import { ModuleCache } from './module-cache.js';
import { WorkerInstance } from './worker-instance.js';
import { InvalidArgumentError } from '../errors.js';
import { capMemoryGrowth, UNCAPPED_PAGES, WASM_PAGE_BYTES } from './wasm/memory-cap.js';
import { WorkerInspector } from './worker-inspector.js';
import type { BootedWorker, WorkerPool } from './worker-pool.js';

function closeFds(stdio: StdioFds): void {
  for (const fd of [stdio.stdin, stdio.stdout, stdio.stderr]) {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The module with its memory growth capped at `limitBytes`, or an error saying why it cannot be. */
function capOrRefuse(bytes: Uint8Array, limitBytes: number, guestPath: string): Uint8Array {
  const result = capMemoryGrowth(bytes, Math.min(UNCAPPED_PAGES, Math.floor(limitBytes / WASM_PAGE_BYTES)));
  if (result.capped) return result.bytes;
  if (result.malformed) return bytes; // the compiler names the problem better
  throw new InvalidArgumentError(
    `${guestPath} cannot run under the container's memory limit: ${result.reason}; run it without a memory limit`,
  );
}

/** Runs each guest in its own worker thread, on our WASI preview 1 host. */
export class WorkerEngine implements Engine {
  constructor(
    private readonly pool: WorkerPool,
    private readonly clock: () => Date = () => new Date(),
    /** Attaches to guest workers only once a pause or a stats call needs it. */
    private readonly inspector = new WorkerInspector(),
    /** Every guest of this daemon that runs the same module shares its compiled form. */
    private readonly modules = new ModuleCache(),
  ) {}

  async create(config: InstanceConfig): Promise<Instance> {
    let loaded: LoadedModule;
    let booted: BootedWorker;
    try {
      const limit = config.memoryLimitBytes;
      // Only a task with a limit pays for the rewrite; its limit can then move (Update) too.
      const cap = limit === undefined ? undefined : (bytes: Uint8Array) => capOrRefuse(bytes, limit, config.moduleName);
      loaded = await loadModule(config.module, config.moduleName, WasiHost.providedImports(), {
        cache: this.modules,
        ...(cap !== undefined ? { transform: cap, variant: `memory-cap=${limit}` } : {}),
      });
      booted = await this.pool.take();
    } catch (error) {
      // The stdio fds were handed to us; nobody else will close them.
      closeFds(config.stdio);
      throw error;
    }
    return WorkerInstance.prepare(
      booted,
      loaded.module,
      {
        args: config.args,
        env: config.env,
        cwd: config.cwd,
        rootfsPath: config.rootfsPath,
        ...(config.rootReadOnly === true ? { rootReadOnly: true } : {}),
        ...(config.mounts !== undefined && config.mounts.length > 0 ? { mounts: config.mounts } : {}),
        ...config.stdio,
        ...(config.terminal === true ? { terminal: true } : {}),
        ...(config.memoryLimitBytes !== undefined ? { memoryLimitBytes: config.memoryLimitBytes } : {}),
        ...(config.tcpListen !== undefined && config.tcpListen.length > 0 ? { tcpListen: config.tcpListen } : {}),
      },
      config.id,
      this.clock,
      this.inspector,
      { digest: loaded.digest, cached: loaded.cached },
      (worker) => this.pool.give(worker),
    );
  }
}
