import net from 'node:net';
import { WorkerPool } from '../../instance/worker-pool.js';
import { serveGroup } from './daemon.js';
import type { ShimFlags } from '../cli/flags.js';
import { LISTEN_FD, SHARED_GROUP_ENV } from './handoff.js';
import { Env } from './environment.js';
import { ensureSpare } from './spare-launch.js';


/**
 * `serve`: a daemon spawned by `start` with the group's socket already bound on
 * fd 3 and the bundle's `log` FIFO as stderr. Once serving, it makes sure a
 * spare daemon is warming up for the next container.
 */
export function serveColdDaemon(flags: ShimFlags): void {
  const pool = new WorkerPool(1);
  const namespaceDaemon = process.env[Env.NAMESPACE_DAEMON] === '1';
  const listener = net.createServer();
  listener.listen({ fd: LISTEN_FD });
  serveGroup(
    {
      namespace: flags.namespace,
      address: flags.address,
      ttrpcAddress: process.env.TTRPC_ADDRESS || `${flags.address}.ttrpc`,
      id: flags.id,
      socketPath: flags.socket,
      debug: flags.debug,
      logFd: 2,
      sharedGroup: process.env[SHARED_GROUP_ENV] === '1',
      namespaceDaemon,
    },
    listener,
    pool,
  );
  // Spares are for the containers that need a daemon of their own; the shared daemon itself stays.
  if (!namespaceDaemon) void ensureSpare(process.env[Env.SPARE_NETWORK] === 'new' ? 'new' : 'host', flags.address);
}
