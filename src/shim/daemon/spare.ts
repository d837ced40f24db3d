import { spawn } from 'node:child_process';
import { readSpareSettings, spareSettingsPath } from './runtime-settings.js';
import { chmodSync, closeSync, openSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { WorkerPool } from '../../instance/worker-pool.js';
import { serveGroup } from './daemon.js';
import { claimSocket, isServing } from './group-socket.js';
import { ENTRY_SCRIPT } from '../../layout.js';
import { type ClaimReply, type ClaimRequest, openBundleLog, type SpareNetwork, spareSocketPath, sparesEnabled } from './handoff.js';
import { daemonLaunch } from './network-namespace.js';
import { Env } from './environment.js';

/** Tells a spare (and a cold daemon) which network it lives in, so the daemon it becomes keeps a spare of the same kind. */
export const SPARE_NETWORK_ENV = Env.SPARE_NETWORK;

/** The containerd a spare belongs to: its gRPC socket. */
export const SPARE_CONTAINERD_ENV = Env.SPARE_CONTAINERD;

/** How long an unclaimed spare waits before it exits. */
const DEFAULT_IDLE_SECONDS = 600;

/** How often an unclaimed spare checks that its containerd is still there. */
const CONTAINERD_CHECK_MS = 5_000;
/** Missed checks in a row (a restart takes a moment) before a spare decides its containerd is gone. */
const CONTAINERD_MISSES = 3;

/**
 * Starts a spare daemon for the next container unless one is already
 * waiting. Detached and with none of our fds, like any daemon of ours.
 */
export function ensureSpare(network: SpareNetwork, containerdAddress: string): void {
  if (!sparesEnabled()) return;
  const controlPath = spareSocketPath(network, containerdAddress);
  void isServing(controlPath, 300).then((serving) => {
    // Two daemons may ask at once: only the one that takes the lock starts a spare.
    if (serving || !takeStartLock(controlPath)) return;
    const env = {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      [Env.SPARE_IDLE_SECONDS]: process.env[Env.SPARE_IDLE_SECONDS],
      [SPARE_NETWORK_ENV]: network,
      [SPARE_CONTAINERD_ENV]: containerdAddress,
    };
    // A spare for plain `ctr run` waits inside a fresh network namespace, loopback up.
    const launch = daemonLaunch({ kind: network }, process.execPath, [ENTRY_SCRIPT, 'spare'], env);
    const child = spawn(launch.command, launch.args, { cwd: '/', detached: true, stdio: 'ignore', env: launch.env });
    child.unref();
  });
}

/** A booting spare holds this until it listens (or gives up); older than this, a lock is a dead spare's. */
const START_LOCK_STALE_MS = 30_000;

function startLockPath(controlPath: string): string {
  return `${controlPath}.starting`;
}

/** Creates the start lock of a spare's control socket; false when another live start holds it. */
function takeStartLock(controlPath: string): boolean {
  const lock = startLockPath(controlPath);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      return true;
    } catch {
      try {
        if (Date.now() - statSync(lock).mtimeMs < START_LOCK_STALE_MS) return false;
        rmSync(lock, { force: true });
      } catch {
        // gone meanwhile: try again
      }
    }
  }
  return false;
}

/**
 * `spare`: a daemon booted ahead of need — code loaded, a guest worker warm —
 * that waits on its control socket until a `start` claims it for a group.
 * Then it binds that group's socket and serves it like any daemon, and starts
 * the next spare. Unclaimed, it exits after WASMTS_SPARE_IDLE_SECONDS.
 */
export async function runSpare(): Promise<void> {
  const pool = new WorkerPool(1);
  const control = net.createServer();
  const network: SpareNetwork = process.env[SPARE_NETWORK_ENV] === 'new' ? 'new' : 'host';
  const containerd = process.env[SPARE_CONTAINERD_ENV] ?? '';
  const controlPath = spareSocketPath(network, containerd);
  let claimed = false;

  const leave = (): void => {
    clearTimeout(idle);
    clearInterval(watch);
    control.close();
    void pool.close().then(() => process.exit(0));
  };
  const idleSeconds = Number(process.env[Env.SPARE_IDLE_SECONDS]) || DEFAULT_IDLE_SECONDS;
  const idle = setTimeout(leave, idleSeconds * 1000);
  const bornAt = Date.now();
  const settingsFile = spareSettingsPath(containerd);
  // A spare outlives nothing: once its containerd is gone (not just restarting), so is it.
  let misses = 0;
  const watch = setInterval(() => {
    // The runtime options a task brought may set a shorter wait than the one this spare started with.
    const { spareIdleSeconds } = readSpareSettings(settingsFile);
    if (spareIdleSeconds !== undefined && Date.now() - bornAt >= spareIdleSeconds * 1000 && !claimed) return leave();
    void isServing(containerd, 1_000).then((up) => {
      misses = up ? 0 : misses + 1;
      if (misses >= CONTAINERD_MISSES && !claimed) {
        rmSync(settingsFile, { force: true });
        leave();
      }
    });
  }, CONTAINERD_CHECK_MS);

  control.on('connection', (connection) => {
    let buffer = '';
    connection.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const newline = buffer.indexOf('\n');
      if (newline === -1) return;
      const answer = (reply: ClaimReply) => connection.end(`${JSON.stringify(reply)}\n`);
      if (claimed) {
        answer({ ok: false, reason: 'already claimed' });
        return;
      }
      claimed = true;
      clearTimeout(idle);
      clearInterval(watch);
      control.close(); // unlinks the control socket: the next start finds no spare here
      void takeOver(JSON.parse(buffer.slice(0, newline)) as ClaimRequest, pool, network).then(answer, (error: unknown) => {
        answer({ ok: false, reason: String(error) });
        process.exit(1);
      });
    });
    connection.on('error', () => {});
  });

  await new Promise<void>((resolve, reject) => {
    control.once('error', reject);
    control.listen(controlPath, () => resolve());
  }).catch(() => {
    rmSync(startLockPath(controlPath), { force: true });
    process.exit(0); // another spare is already waiting
  });
  chmodSync(controlPath, 0o600);
  rmSync(startLockPath(controlPath), { force: true });
}

async function takeOver(request: ClaimRequest, pool: WorkerPool, network: SpareNetwork): Promise<ClaimReply> {
  for (const key of Object.keys(process.env)) delete process.env[key];
  for (const [key, value] of Object.entries(request.env)) if (value !== undefined) process.env[key] = value;
  const listener = await claimSocket(request.socketPath);
  if (listener === undefined) throw new Error(`group socket ${request.socketPath} is already served`);
  const { bundle, env: _env, ...group } = request;
  serveGroup(
    { ...group, logFd: openBundleLog(bundle) },
    listener,
    pool,
  );
  if (!request.namespaceDaemon) ensureSpare(network, request.address);
  return { ok: true, pid: process.pid };
}
