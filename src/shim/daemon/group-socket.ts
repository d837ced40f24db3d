import { linkSync, rmSync, unlinkSync } from 'node:fs';
import net from 'node:net';

/** Resolves true when something accepts connections on `file`. */
export function isServing(file: string, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(file);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

function bind(file: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ path: file, backlog: 512 }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/**
 * Binds a socket at a name of its own, then links it to `file`: linking fails
 * when `file` exists, so of two racing starts one wins, as with a plain bind;
 * and the server may later be closed (once its fd is handed to a daemon)
 * without removing `file`, as closing a server unlinks only the name it bound.
 */
async function bindAs(file: string): Promise<net.Server> {
  const own = `${file}.${process.pid}.${Math.random().toString(36).slice(2, 10)}`;
  const server = await bind(own);
  try {
    linkSync(own, file);
  } catch (error) {
    server.close();
    throw error;
  } finally {
    rmSync(own, { force: true });
  }
  return server;
}

/**
 * Binds a group's socket, or resolves undefined when a live daemon already
 * serves it. A stale socket file (its daemon gone) is replaced.
 */
export async function claimSocket(file: string): Promise<net.Server | undefined> {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await isServing(file)) return undefined;
    try {
      unlinkSync(file);
    } catch {
      // no stale socket
    }
    try {
      return await bindAs(file);
    } catch (error) {
      // Another start for the same group won the race: use its daemon.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  throw new Error(`cannot bind or reach the shim socket ${file}`);
}
