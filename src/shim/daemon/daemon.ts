import { statSync, unlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type net from 'node:net';
import { WorkerEngine } from '../../instance/worker-engine.js';
import { WORKER_IDLE_MS, type WorkerPool } from '../../instance/worker-pool.js';
import { DEFAULT_MODULE_CACHE_BYTES, ModuleCache } from '../../instance/module-cache.js';
import { Env } from './environment.js';
import { CgroupPlacement } from './cgroup-placement.js';
import { readSpareSettings, type RuntimeSettings, runtimeSettingsOf, spareSettingsPath, writeSpareSettings } from './runtime-settings.js';
import type { Logger } from '../../task/collaborators.js';
import { BundlePreparer } from '../../oci/container-preparer.js';
import { TaskService } from '../../task/task-service.js';
import { TtrpcServer } from '../../ttrpc/index.js';
import { EventPublisher } from '../events/event-publisher.js';
import { socketFileOf } from '../cli/socket-address.js';
import { ContainerdImageModules } from '../containerd/image-modules.js';
import type { GroupSpec } from './handoff.js';
import { createLogger, FifoLogDestination } from './logger.js';
import { TaskBundles } from './task-bundles.js';
import { frontPath, StartFront, startRunner } from './start-front.js';
import { IdleWatch } from './idle-watch.js';
import { FifoStdioOpener } from '../stdio/stdio-opener.js';
import { registerTaskService } from '../rpc/task-ttrpc-adapter.js';
import { ShimDelegates } from '../rpc/shim-delegates.js';

export interface GroupConfig extends GroupSpec {
  /** Where logs go: the bundle's `log` FIFO. */
  logFd: number;
}

/**
 * The long-lived daemon of one group: serves the Task API for every task of the
 * group on `listener`, logs to the bundle's `log` FIFO, and exits on Shutdown
 * once no task remains. `pool` holds its booted guest workers.
 */
export function serveGroup(config: GroupConfig, listener: net.Server, pool: WorkerPool): void {
  pool.setSpares(config.sharedGroup ? 1 : 0);
  pool.setIdlePeriod(WORKER_IDLE_MS);
  const destination = new FifoLogDestination(config.logFd);
  const logger = createLogger(destination, { debug: config.debug, namespace: config.namespace });
  const events = new EventPublisher({ address: config.ttrpcAddress, namespace: config.namespace, logger });
  if (config.namespaceDaemon) {
    // It outlives the bundle it was started from (its cwd, its first log FIFO).
    process.chdir('/');
  }
  const service = new TaskService({
    engine: new WorkerEngine(pool, undefined, undefined, new ModuleCache(moduleCacheBytes(process.env))),
    events: new TaskBundles(events, config.namespaceDaemon ? { followLogs: { destination, initialFd: config.logFd } } : {}),
    preparer: new BundlePreparer(new ContainerdImageModules({ socketFile: socketFileOf(config.address), namespace: config.namespace })),
    stdio: new FifoStdioOpener(config.namespace),
    logger,
    shimPid: process.pid,
    sharedNetwork: config.namespaceDaemon,
    cgroups: new CgroupPlacement({ logger, ...(process.env[Env.ORIGIN_CGROUPS] !== undefined ? { origin: process.env[Env.ORIGIN_CGROUPS] } : {}) }),
  });
  const server = new TtrpcServer({
    onError: (error, detail) => logger.warn({ err: error, ...detail }, 'ttrpc error'),
  });

  const socketInode = inodeOf(config.socketPath);
  let accepting = true;
  // containerd's `start` for this namespace is answered here, not by a Node of its own (see StartFront).
  const front = config.namespaceDaemon ? openFront(config, logger) : undefined;
  const stopAccepting = () => {
    if (!accepting) return;
    accepting = false;
    front?.close();
    listener.close();
    if (socketInode === undefined || inodeOf(config.socketPath) !== socketInode) return;
    try {
      unlinkSync(config.socketPath);
    } catch {
      // already gone
    }
  };
  let exiting = false;
  const exit = async (reason: string) => {
    if (exiting) return;
    exiting = true;
    logger.info({ reason }, 'shim daemon exiting');
    stopAccepting();
    watch?.stop();
    // Every event must reach containerd before we go (the last is /tasks/delete);
    // containerd treats the connection closing as the Shutdown reply.
    await events.close();
    setTimeout(() => process.exit(0), 5).unref();
  };

  // The Linux containers of a pod (sidecars, init containers) go to containerd's runc shim.
  const delegates = new ShimDelegates({ namespace: config.namespace, address: config.address, ttrpcAddress: config.ttrpcAddress, logger });
  // A namespace's shared daemon stays for the next container (see IdleWatch); any other leaves with its last task.
  let lingering = config.namespaceDaemon;
  const tasks = () => service.taskCount + delegates.count;
  const watch = lingering
    ? new IdleWatch({
        tasks,
        idleSeconds: () => idleSeconds(process.env),
        containerdSocket: socketFileOf(config.address),
        leave: (reason) => {
          // A container may have connected just before the socket went: serve it, then go with it.
          stopAccepting();
          void sleep(LATE_ARRIVAL_MS).then(() => {
            lingering = false;
            if (tasks() === 0) void exit(reason);
          });
        },
      })
    : undefined;
  registerTaskService(server, service, logger, () => {
    if (!lingering) void exit('shutdown with no tasks left');
  }, delegates, (options) =>
    applyRuntimeSettings(runtimeSettingsOf(options), config.address, logger),
  );
  server.listen(listener);
  logger.info({ socket: config.socketPath, id: config.id }, 'shim daemon serving');

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      void service.shutdown().then((idle) => {
        if (idle && delegates.count === 0) void exit(signal);
        else logger.warn({ signal, tasks: service.taskCount }, 'ignoring signal while tasks remain');
      });
    });
  }
  process.on('uncaughtException', (error) => {
    logger.error({ err: error }, 'uncaught exception; the daemon keeps serving its other tasks');
  });
}

/** The compile cache's budget from WASMTS_MODULE_CACHE_MB (MiB of module bytes; 0 is off), else the default. */
export function moduleCacheBytes(env: NodeJS.ProcessEnv): number {
  const value = env[Env.MODULE_CACHE_MB];
  if (value === undefined || value.trim() === '' || !/^\d+$/.test(value.trim())) return DEFAULT_MODULE_CACHE_BYTES;
  return Number(value.trim()) * 1024 * 1024;
}

/** How long a namespace's shared daemon waits for a task before it exits, unless runtime options or the environment say otherwise. */
const DEFAULT_IDLE_SECONDS = 600;

/** After it stopped accepting, how long a leaving daemon waits for a container that connected just before. */
const LATE_ARRIVAL_MS = 2_000;

/** The idle period: runtime options a task brought (SpareIdleSeconds), else WASMTS_SPARE_IDLE_SECONDS, else the default. */
function idleSeconds(env: NodeJS.ProcessEnv): number {
  const seconds = Number(env[Env.SPARE_IDLE_SECONDS]);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : DEFAULT_IDLE_SECONDS;
}

/** The inode of the socket file this daemon serves, so that it never removes a successor's. */
function inodeOf(file: string): number | undefined {
  try {
    return statSync(file).ino;
  } catch {
    return undefined;
  }
}

function openFront(config: GroupConfig, logger: Logger): StartFront | undefined {
  try {
    return StartFront.open(frontPath(config.address, config.namespace), startRunner(process.env), logger);
  } catch (error) {
    logger.warn({ err: (error as Error).message }, 'cannot open the start front; containerd\'s starts run Node');
    return undefined;
  }
}

/** Settings a task brought: for the spares this daemon starts from now on, and for those already waiting. */
function applyRuntimeSettings(settings: RuntimeSettings, containerdAddress: string, logger: Logger): void {
  if (settings.spareIdleSeconds === undefined) return;
  process.env[Env.SPARE_IDLE_SECONDS] = String(settings.spareIdleSeconds);
  const file = spareSettingsPath(containerdAddress);
  if (readSpareSettings(file).spareIdleSeconds === settings.spareIdleSeconds) return;
  try {
    writeSpareSettings(file, settings);
  } catch (error) {
    logger.warn({ err: (error as Error).message, file }, 'cannot pass the runtime options on to spare daemons');
  }
}
