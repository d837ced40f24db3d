import { unlinkSync } from 'node:fs';
import net from 'node:net';
import { WorkerEngine } from '../instance/worker-engine.js';
import { WorkerPool } from '../instance/worker-pool.js';
import { BundlePreparer } from '../oci/container-preparer.js';
import { TaskService } from '../task/task-service.js';
import { TtrpcServer } from '../ttrpc/index.js';
import { EventPublisher } from './event-publisher.js';
import type { ShimFlags } from './flags.js';
import { createLogger } from './logger.js';
import { LISTEN_FD } from './start-action.js';
import { FifoStdioOpener } from './stdio-opener.js';
import { registerTaskService } from './task-ttrpc-adapter.js';

/** containerd's ttrpc address, always the gRPC address plus `.ttrpc` when not given. */
function ttrpcAddress(flags: ShimFlags): string {
  return process.env.TTRPC_ADDRESS || `${flags.address}.ttrpc`;
}

/**
 * The long-lived daemon: serves the Task API for every task of its group on
 * the socket `start` bound, logs to the bundle's `log` FIFO (its stderr), and
 * exits on Shutdown once no task remains.
 */
export async function serveDaemon(flags: ShimFlags): Promise<void> {
  const logger = createLogger(2, { debug: flags.debug, namespace: flags.namespace });
  const events = new EventPublisher({ address: ttrpcAddress(flags), namespace: flags.namespace, logger });
  const pool = new WorkerPool(1);
  const service = new TaskService({
    engine: new WorkerEngine(pool),
    events,
    preparer: new BundlePreparer(),
    stdio: new FifoStdioOpener(),
    logger,
    shimPid: process.pid,
  });
  const server = new TtrpcServer({
    onError: (error, detail) => logger.warn({ err: error, ...detail }, 'ttrpc error'),
  });

  let exiting = false;
  const exit = async (reason: string) => {
    if (exiting) return;
    exiting = true;
    logger.info({ reason }, 'shim daemon exiting');
    listener.close();
    try {
      unlinkSync(flags.socket);
    } catch {
      // already gone
    }
    await events.close();
    await pool.close();
    // Let the Shutdown response reach containerd before the connections drop.
    setTimeout(() => process.exit(0), 20).unref();
  };

  registerTaskService(server, service, logger, () => void exit('shutdown with no tasks left'));

  const listener = net.createServer();
  server.listen(listener);
  listener.listen({ fd: LISTEN_FD });
  logger.info({ socket: flags.socket, id: flags.id }, 'shim daemon serving');

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      void service.shutdown().then((idle) => {
        if (idle) void exit(signal);
        else logger.warn({ signal, tasks: service.taskCount }, 'ignoring signal while tasks remain');
      });
    });
  }
  process.on('uncaughtException', (error) => {
    logger.error({ err: error }, 'uncaught exception; the daemon keeps serving its other tasks');
  });
}
