/**
 * Warm spare daemons of this checkout running on the machine, found by their
 * command line (dist/main.js spare) and the containerd and network their
 * environment names. No parameter properties: scripts load this file too.
 */
import { readFile, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT } from './fixtures.js';

const ENTRY = path.join(REPO_ROOT, 'dist', 'main.js');

export interface Spare {
  pid: number;
  /** The containerd it belongs to (its gRPC socket). */
  containerd: string;
  /** `host` or `new`. */
  network: string;
  /** It listens on its control socket (wasmts-spare-…): booted, and not claimed yet. */
  waiting: boolean;
}

/** The inodes of the listening unix sockets bound to a spare's control socket name. */
async function spareControlSockets(): Promise<Set<string>> {
  const inodes = new Set<string>();
  for (const line of (await readFile('/proc/net/unix', 'utf8')).split('\n').slice(1)) {
    // Num RefCount Protocol Flags Type St Inode Path; flags 00010000: listening
    const [, , , flags, , , inode, name] = line.trim().split(/\s+/);
    if (flags === '00010000' && inode !== undefined && name !== undefined && path.basename(name).startsWith('wasmts-spare-')) inodes.add(inode);
  }
  return inodes;
}

async function holdsAny(pid: string, inodes: Set<string>): Promise<boolean> {
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  for (const fd of fds) {
    const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const match = /^socket:\[(\d+)\]$/.exec(link);
    if (match !== null && inodes.has(match[1]!)) return true;
  }
  return false;
}

export async function spares(): Promise<Spare[]> {
  const found: Spare[] = [];
  const controls = await spareControlSockets();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const args = cmdline.split('\0');
    if (!(args.includes(ENTRY) && args.includes('spare'))) continue;
    const environ = (await readFile(`/proc/${entry}/environ`, 'utf8').catch(() => '')).split('\0');
    const value = (key: string): string => environ.find((e) => e.startsWith(`${key}=`))?.slice(key.length + 1) ?? '';
    found.push({ pid: Number(entry), containerd: value('WASMTS_SPARE_CONTAINERD'), network: value('WASMTS_SPARE_NETWORK'), waiting: await holdsAny(entry, controls) });
  }
  return found;
}
