import { spawn } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import { encodeBootstrapResult, parseBootstrapParams } from './bootstrap.js';
import type { ShimFlags } from './flags.js';
import { DEFAULT_SOCKET_DIR, groupId, socketPath, socketUri } from './socket-address.js';

/** File descriptor number the daemon finds its listening socket on. */
export const LISTEN_FD = 3;

function readAnnotations(bundle: string): Record<string, string> {
  try {
    const spec = JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8')) as {
      annotations?: Record<string, unknown>;
    };
    return Object.fromEntries(
      Object.entries(spec.annotations ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'),
    );
  } catch {
    return {};
  }
}

/** Resolves true when something accepts connections on `file`. */
function isServing(file: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(file);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function bind(file: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ path: file, backlog: 512 }, () => resolve(server));
  });
}

/** Binds the group's socket, or finds the daemon that already serves it. */
async function claimSocket(file: string): Promise<net.Server | undefined> {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await isServing(file)) return undefined;
    try {
      unlinkSync(file);
    } catch {
      // no stale socket
    }
    try {
      const server = await bind(file);
      return server;
    } catch (error) {
      // Another start for the same group won the race: use its daemon.
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
  throw new Error(`cannot bind or reach the shim socket ${file}`);
}

function writeAddressFile(bundle: string, address: string): void {
  const tmp = path.join(bundle, '.address.tmp');
  writeFileSync(tmp, address, { mode: 0o644 });
  renameSync(tmp, path.join(bundle, 'address'));
}

function openLog(bundle: string): number {
  try {
    return openSync(path.join(bundle, 'log'), constants.O_WRONLY | constants.O_NONBLOCK);
  } catch {
    return openSync('/dev/null', constants.O_WRONLY);
  }
}

/**
 * `start`: runs with the bundle as cwd. It binds the socket itself and hands the
 * bound fd to a detached daemon, so the address can be printed at once; the
 * daemon gets none of containerd's pipes (containerd waits for EOF on them).
 */
export async function startAction(flags: ShimFlags, stdin: Uint8Array, entryScript: string): Promise<Uint8Array | string> {
  if (flags.namespace === '') throw new InvalidArgumentError('start: -namespace is required');
  if (flags.id === '') throw new InvalidArgumentError('start: -id is required');
  const bundle = process.cwd();
  const bootstrap = await parseBootstrapParams(stdin, flags.id, flags.namespace);
  const socketDir = bootstrap?.socketDir ?? DEFAULT_SOCKET_DIR;
  mkdirSync(socketDir, { recursive: true, mode: 0o700 });
  const file = socketPath(flags.address, flags.namespace, groupId(flags.id, readAnnotations(bundle)), socketDir);
  const address = socketUri(file);

  const server = await claimSocket(file);
  if (server !== undefined) {
    const listenFd = (server as unknown as { _handle: { fd: number } })._handle.fd;
    const logFd = openLog(bundle);
    const env = { ...process.env };
    if (bootstrap?.ttrpcAddress !== undefined && env.TTRPC_ADDRESS === undefined) env.TTRPC_ADDRESS = bootstrap.ttrpcAddress;
    const args = [
      entryScript,
      '-namespace', flags.namespace,
      '-address', flags.address,
      '-publish-binary', flags.publishBinary,
      '-id', flags.id,
      '-socket', file,
      ...(flags.debug ? ['-debug'] : []),
      'serve',
    ];
    const child = spawn(process.execPath, args, {
      cwd: bundle,
      detached: true,
      env,
      stdio: ['ignore', 'ignore', logFd, listenFd],
    });
    child.unref();
    closeSync(logFd);
    // The start process exits without closing `server`: closing a bound unix
    // server would unlink the socket file the daemon now serves.
  }
  writeAddressFile(bundle, address);
  return bootstrap !== undefined ? await encodeBootstrapResult(address, 2) : address;
}
