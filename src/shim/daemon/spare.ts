import { readSpareSettings, spareSettingsPath } from './runtime-settings.js';
import { chmodSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { WorkerPool } from '../../instance/worker-pool.js';
import { serveGroup } from './daemon.js';
import { claimSocket, isServing } from './group-socket.js';
import { type ClaimReply, type ClaimRequest, openBundleLog, type SpareNetwork, spareSocketPath } from './handoff.js';
import { Env } from './environment.js';
import { joinCgroups } from './cgroup-placement.js';
import { enterNetworkNamespace } from './namespace-entry.js';
import { startLockPath } from './spare-launch.js';

/** How long an unclaimed spare waits before it exits. */
const DEFAULT_IDLE_SECONDS = 600;

/** How often an unclaimed spare checks that its containerd is still there. */
const CONTAINERD_CHECK_MS = 5_000;
/** Missed checks in a row (a restart takes a moment) before a spare decides its containerd is gone. */
const CONTAINERD_MISSES = 3;

/**
 * `spare`: a daemon booted ahead of need — code loaded, a guest worker warm —
 * that waits on its control socket until a `start` claims it for a group.
 * Then it enters the group's network namespace and cgroup when the claim names
 * them (a pod's), binds the group's socket and serves it like any daemon; the
 * `start` that claimed it starts the next spare.
 * Unclaimed, it exits after WASMTS_SPARE_IDLE_SECONDS.
 */
export async function runSpare(): Promise<void> {
  const pool = new WorkerPool(1);
  const control = net.createServer();
  const network: SpareNetwork = process.env[Env.SPARE_NETWORK] === 'new' ? 'new' : 'host';
  const containerd = process.env[Env.SPARE_CONTAINERD] ?? '';
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
      void takeOver(JSON.parse(buffer.slice(0, newline)) as ClaimRequest, pool).then(answer, (error: unknown) => {
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

async function takeOver(request: ClaimRequest, pool: WorkerPool): Promise<ClaimReply> {
  for (const key of Object.keys(process.env)) delete process.env[key];
  for (const [key, value] of Object.entries(request.env)) if (value !== undefined) process.env[key] = value;
  // Claimed for a pod (or a given network namespace): go there before anything of the group's opens or starts.
  const placed = request.networkNamespacePath !== undefined || request.cgroupProcs !== undefined;
  if (request.networkNamespacePath !== undefined) enterNetworkNamespace(request.networkNamespacePath);
  if (request.cgroupProcs !== undefined) {
    // Where it leaves to again at the sandbox's Delete.
    process.env[Env.ORIGIN_CGROUPS] = readFileSync('/proc/self/cgroup', 'utf8');
    await joinCgroups(request.cgroupProcs, process.pid);
  }
  // Its waiting worker was born in the host's network and cgroup: the guests' come from here.
  if (placed) pool.renew();
  const listener = await claimSocket(request.socketPath);
  if (listener === undefined) throw new Error(`group socket ${request.socketPath} is already served`);
  const { bundle, env: _env, networkNamespacePath: _netns, cgroupProcs: _cgroup, ...group } = request;
  serveGroup(
    { ...group, logFd: openBundleLog(bundle) },
    listener,
    pool,
  );
  return { ok: true, pid: process.pid };
}
