/**
 * Last-resort cleanup after a private containerd stopped: shims it left
 * running, their sockets, and mounts left under the rig's directory.
 */

import { createHash } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerdInfo } from './containerd.js';
import { runCommand } from './run-command.js';
import { isAlive } from './processes.js';
import { socketPath } from '../../src/shim/cli/socket-address.js';
import { NAMESPACE_GROUP } from '../../src/oci/bundle-spec.js';

/** Shim sockets do not follow containerd's state dir in 1.6 (defaults.DefaultStateDir + "/s"). */
const SHIM_SOCKET_DIR = '/run/containerd/s';

/**
 * Shims outlive containerd (they run in their own process group). Ours are
 * recognised by the containerd address in their argv or the TTRPC_ADDRESS
 * containerd put in their environment.
 */
export async function shimsOf(info: Pick<ContainerdInfo, 'address' | 'ttrpcAddress'>): Promise<{ pid: number; args: string[] }[]> {
  const shims: { pid: number; args: string[] }[] = [];
  for (const pid of await listPids()) {
    if (pid === process.pid) continue;
    const [cmdline, environ] = await Promise.all([
      readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''),
      readFile(`/proc/${pid}/environ`, 'utf8').catch(() => ''),
    ]);
    const args = cmdline.split('\0');
    const env = environ.split('\0');
    if (args.includes(info.address) || env.includes(`TTRPC_ADDRESS=${info.ttrpcAddress}`)) shims.push({ pid, args });
  }
  return shims;
}

/**
 * The shim processes of a rig but a namespace's shared daemon (the one whose
 * `-socket` is its namespace's shared socket), which outlives its tasks by
 * design: what is left of the pods and groups the tests ran.
 */
export async function unsharedShimsOf(info: Pick<ContainerdInfo, 'address' | 'ttrpcAddress'>): Promise<{ pid: number; args: string[] }[]> {
  return (await shimsOf(info)).filter(({ args }) => {
    const namespace = args[args.indexOf('-namespace') + 1];
    const socket = args[args.indexOf('-socket') + 1];
    return !(args.includes('-namespace') && args.includes('-socket') && socket === socketPath(info.address, namespace ?? '', NAMESPACE_GROUP));
  });
}

/** Kills what `shimsOf` finds, and removes the sockets of those it can name. */
export async function killShimsOf(info: Pick<ContainerdInfo, 'address' | 'ttrpcAddress'>): Promise<number[]> {
  const killed: number[] = [];
  const sockets: string[] = [];
  for (const { pid, args } of await shimsOf(info)) {
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // Already gone.
    }
    const socket = shimSocketPath(info.address, args);
    if (socket !== undefined) sockets.push(socket);
  }
  for (let i = 0; i < 50 && killed.some(isAlive); i++) await sleep(100);
  // A killed shim cannot remove its socket; it lives outside the rig.
  await Promise.all(sockets.map((socket) => rm(socket, { force: true })));
  return killed;
}

/**
 * Where a shim started with `-namespace N -id ID` listens: containerd 1.6's
 * shim.SocketAddress, sha256(<containerd address>/<ns>/<id>) under /run/containerd/s.
 */
function shimSocketPath(address: string, args: readonly string[]): string | undefined {
  const flag = (name: string): string | undefined => {
    for (let i = 0; i < args.length; i++) {
      const arg = args[i] ?? '';
      if (arg === `-${name}` || arg === `--${name}`) return args[i + 1];
      const match = /^--?([\w-]+)=(.*)$/s.exec(arg);
      if (match?.[1] === name) return match[2];
    }
    return undefined;
  };
  const namespace = flag('namespace');
  const id = flag('id');
  if (namespace === undefined || id === undefined) return undefined;
  const hash = createHash('sha256').update(path.join(address, namespace, id)).digest('hex');
  return path.join(SHIM_SOCKET_DIR, hash);
}

async function listPids(): Promise<number[]> {
  return (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
}

/** Unmounts every mount at or below `dir`, deepest first, repeating for stacked mounts. */
export async function unmountUnder(dir: string): Promise<string[]> {
  const unmounted: string[] = [];
  for (let round = 0; round < 10; round++) {
    const mounts = (await mountPoints()).filter((m) => m === dir || m.startsWith(`${dir}/`));
    if (mounts.length === 0) break;
    mounts.sort((a, b) => b.length - a.length);
    for (const mount of mounts) {
      const result = await runCommand('umount', [mount], { timeoutMs: 10_000 });
      if (result.code !== 0) await runCommand('umount', ['--lazy', mount], { timeoutMs: 10_000 });
      unmounted.push(mount);
    }
  }
  return unmounted;
}

/** Mount points from /proc/self/mountinfo (field 5), with its octal escapes decoded. */
async function mountPoints(): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => (line.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8))));
}
