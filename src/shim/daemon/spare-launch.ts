/**
 * Launching a warm spare daemon (spare.ts is the spare itself). Kept free of
 * heavy imports: `start` loads this to boot the next spare after it claimed one
 * (or placed a cold daemon in a pod, which cannot start one: it would be born
 * in the pod's network and cgroup).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, rmSync, statSync } from 'node:fs';
import { ENTRY_SCRIPT } from '../../layout.js';
import { Env } from './environment.js';
import { isServing } from './group-socket.js';
import { type SpareNetwork, spareSocketPath, sparesEnabled } from './handoff.js';
import { daemonLaunch } from './network-namespace.js';

/**
 * Starts a spare daemon for the next container unless one is already waiting
 * (or booting). Detached and with none of our fds, like any daemon of ours.
 * Resolves once it is launched, or found not needed.
 */
export async function ensureSpare(network: SpareNetwork, containerdAddress: string): Promise<void> {
  if (!sparesEnabled()) return;
  const controlPath = spareSocketPath(network, containerdAddress);
  // Two daemons may ask at once: only the one that takes the lock starts a spare.
  if ((await isServing(controlPath, 300)) || !takeStartLock(controlPath)) return;
  const env = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    [Env.SPARE_IDLE_SECONDS]: process.env[Env.SPARE_IDLE_SECONDS],
    [Env.SPARE_NETWORK]: network,
    [Env.SPARE_CONTAINERD]: containerdAddress,
  };
  // A spare for plain `ctr run` waits inside a fresh network namespace, loopback up.
  const launch = daemonLaunch({ kind: network }, process.execPath, [ENTRY_SCRIPT, 'spare'], env);
  const child = spawn(launch.command, launch.args, { cwd: '/', detached: true, stdio: 'ignore', env: launch.env });
  child.unref();
}

/** A booting spare holds this until it listens (or gives up); older than this, a lock is a dead spare's. */
const START_LOCK_STALE_MS = 30_000;

export function startLockPath(controlPath: string): string {
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
