import type { BigIntStats } from 'node:fs';

/** A time to set: nanoseconds, `null` to keep the current one, or 'now'. */
export type TimeChoice = bigint | null | 'now';

/** How many files' exact times are remembered; the oldest are forgotten first. */
const MAX_REMEMBERED = 1024;

interface Remembered {
  /** What the file system stored, and what the guest asked for. */
  atim?: { stored: bigint; exact: bigint };
  mtim?: { stored: bigint; exact: bigint };
}

/**
 * Node sets file times only as seconds in a double (futimes, lutimes), which
 * near today is precise to about 240 ns, so a guest that sets a time and reads
 * it back would see a slightly different value. The host remembers the exact
 * nanoseconds it was asked for next to what the file system stored, and
 * reports the exact value while the stored one is unchanged. Per thread, and
 * forgotten between the guests a thread runs; a file's own identity (dev, ino) is the key.
 */
const remembered = new Map<string, Remembered>();

const keyOf = (stats: BigIntStats): string => `${stats.dev}:${stats.ino}`;

/** Forgets every remembered time: the thread is about to run another guest. */
export function forgetFileTimes(): void {
  remembered.clear();
}

/**
 * Sets a file's times through `apply` (which takes seconds, as Node's calls
 * do), `stat` describing the same file before and after.
 */
export function setFileTimes(stat: () => BigIntStats, apply: (atime: number, mtime: number) => void, atim: TimeChoice, mtim: TimeChoice): void {
  const before = stat();
  const old = reportedTimes(before);
  apply(toSeconds(atim, before.atimeNs), toSeconds(mtim, before.mtimeNs));
  const after = stat();
  const entry: Remembered = {};
  // A kept time is written back through a double too: remember the value the guest saw.
  const atimExact = atim === null ? old.atim : atim;
  const mtimExact = mtim === null ? old.mtim : mtim;
  if (atimExact !== 'now') entry.atim = { stored: after.atimeNs, exact: atimExact };
  if (mtimExact !== 'now') entry.mtim = { stored: after.mtimeNs, exact: mtimExact };
  const key = keyOf(after);
  remembered.delete(key);
  if (entry.atim === undefined && entry.mtim === undefined) return;
  remembered.set(key, entry);
  if (remembered.size > MAX_REMEMBERED) remembered.delete(remembered.keys().next().value as string);
}

/** A file's atime and mtime as the guest should see them. */
export function reportedTimes(stats: BigIntStats): { atim: bigint; mtim: bigint } {
  const entry = remembered.get(keyOf(stats));
  return {
    atim: entry?.atim !== undefined && entry.atim.stored === stats.atimeNs ? entry.atim.exact : stats.atimeNs,
    mtim: entry?.mtim !== undefined && entry.mtim.stored === stats.mtimeNs ? entry.mtim.exact : stats.mtimeNs,
  };
}

/** Seconds for futimes/utimes: `null` keeps the current time, 'now' takes the clock. */
export function toSeconds(value: TimeChoice, currentNs: bigint): number {
  if (value === 'now') return Date.now() / 1000;
  const ns = value ?? currentNs;
  return Number(ns / 1_000_000_000n) + Number(ns % 1_000_000_000n) / 1e9;
}
