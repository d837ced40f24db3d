/**
 * Remembers the version of the containerd that runs `start`, for as long as
 * that containerd process lives. Asking costs `start` tens of milliseconds
 * (loading Node's HTTP/2 client dominates) and containerd runs `start` for
 * every container, so only the first `start` after containerd (re)starts asks.
 *
 * The entry is keyed by containerd's address and checked against the pid and
 * start time of `start`'s parent, which is containerd itself (the sh wrapper
 * execs Node): a restarted or upgraded containerd never matches a stale entry.
 * Writing an entry removes those of containerd processes that have ended, so
 * the directory holds one entry per live containerd, not one per address ever seen.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ContainerdVersion, VersionQuery } from './containerd-version.js';

interface Entry {
  address: string;
  pid: number;
  startTime: string;
  version: string;
  revision: string;
}

export interface VersionCacheOptions {
  /** Directory for the entries: the shim socket directory, which only root can write. */
  dir: string;
  /** The containerd process; default `start`'s parent. */
  containerdPid?: number;
  /** Where /proc is (tests). */
  procDir?: string;
}

/** Field 22 of /proc/<pid>/stat, in clock ticks since boot; undefined when the process is gone. */
export function processStartTime(pid: number, procDir = '/proc'): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(path.join(procDir, String(pid), 'stat'), 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[22 - 3];
}

const ENTRY_PREFIX = 'wasmts-containerd-';

export function cacheFile(dir: string, address: string): string {
  return path.join(dir, `${ENTRY_PREFIX}${createHash('sha256').update(address).digest('hex').slice(0, 32)}`);
}

/** `load` supplies the real query; it is loaded only when the cache cannot answer. */
export function cachedVersionQuery(load: () => Promise<VersionQuery>, options: VersionCacheOptions): VersionQuery {
  return async (address, timeoutMs) => {
    const pid = options.containerdPid ?? process.ppid;
    const startTime = processStartTime(pid, options.procDir);
    const file = cacheFile(options.dir, address);
    const cached = startTime === undefined ? undefined : readEntry(file);
    if (cached !== undefined && cached.address === address && cached.pid === pid && cached.startTime === startTime) {
      return { version: cached.version, revision: cached.revision };
    }
    const answer: ContainerdVersion = await (await load())(address, timeoutMs);
    if (startTime !== undefined) {
      removeEndedEntries(options.dir, options.procDir);
      writeEntry(file, { address, pid, startTime, ...answer });
    }
    return answer;
  };
}

function readEntry(file: string): Entry | undefined {
  try {
    const entry = JSON.parse(readFileSync(file, 'utf8')) as Partial<Entry>;
    const { address, pid, startTime, version, revision } = entry;
    if (typeof address !== 'string' || typeof pid !== 'number' || typeof startTime !== 'string') return undefined;
    if (typeof version !== 'string' || typeof revision !== 'string') return undefined;
    return { address, pid, startTime, version, revision };
  } catch {
    return undefined;
  }
}

/** Removes the entries whose containerd process has ended (or that cannot be read). */
function removeEndedEntries(dir: string, procDir?: string): void {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.startsWith(ENTRY_PREFIX) && !name.endsWith('.tmp'));
  } catch {
    return;
  }
  for (const name of names) {
    const file = path.join(dir, name);
    const entry = readEntry(file);
    if (entry !== undefined && processStartTime(entry.pid, procDir) === entry.startTime) continue;
    rmSync(file, { force: true });
  }
}

/** Best effort: a cache that cannot be written only means asking again next time. */
function writeEntry(file: string, entry: Entry): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify(entry), { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    // ignored
  }
}
