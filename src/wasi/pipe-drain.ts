import fs from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Waiting until pipes' readers have taken every byte in them, without reading any.
 *
 * Why: a client built on containerd 1.6's `cio` (ctr run among them) closes its
 * FIFO readers as soon as its Wait returns, and drops whatever is still in the
 * pipe. So a guest's exit may be reported only once its stdout and stderr pipes
 * are empty, not merely once the bytes are in them.
 *
 * How: Node offers neither ioctl(FIONREAD) nor poll(2), but node:wasi's
 * poll_oneoff (uvwasi, which polls host fds through libuv) tells whether a read
 * end is readable without reading it: readable means bytes are still in the
 * pipe. Only that call is used, from a module of a few dozen instructions; no
 * guest ever runs on node:wasi.
 *
 * uvwasi returns when every polled fd is readable or the clock ran out, so an
 * empty pipe costs one timeout. Its timer counts whole milliseconds from a
 * clock cached when the call begins; a thread preempted right there (a busy
 * node) can see the timer fire before the fds are polled. So "empty" is asked
 * three times, the last with a longer timeout that a preemption is unlikely to
 * outlast; "holds bytes" is never wrong.
 *
 * Only a reader can empty a pipe: when bytes remain and no other process has
 * the pipe open for reading (ctr run -d reads nothing), there is nothing to
 * wait for, and the wait ends at once.
 */

/** How long each probe waits for "readable"; all must say "empty" before the pipes count as drained. */
const PROBE_TIMEOUTS_NS = [3_000_000n, 3_000_000n, 10_000_000n];
/** Pause between probes while a reader is still behind. */
const RETRY_INTERVAL_MS = 2;
/** WASI fds 0 and 1 carry the read ends: at most this many pipes per probe. */
const PIPES_PER_PROBE = 2;

/**
 * The probe module, assembled from `pipe-probe.wat` beside this file (a unit
 * test assembles it again and compares): `readable_within(timeout_ns, nfds)`
 * polls WASI fds 0..nfds-1 for reading together with a relative clock, and
 * answers a bit mask of the readable ones, or -1 if poll_oneoff failed.
 */
export const PIPE_PROBE_WASM_BASE64 =
  'AGFzbQEAAAABDwJgBH9/f38Bf2ACfn8BfwImARZ3YXNpX3NuYXBzaG90X3ByZXZpZXcxC3BvbGxfb25lb2ZmAAADAgEBBQMBAAEHHAIGbWVtb3J5AgAPcmVhZGFibGVfd2l0aGluAAEKwQEBvgECBH8BfkEAQQBBgAT8CwACQANAIAIgAU8NASACQTBsIQMgAyACQQFqrTcDACADQQE6AAggAyACNgIQIAJBAWohAgwACwsgAUEwbCEDIANBATYCECADIAA3AxhBAEGAAiABQQFqQcgBEAAEQEF/DwtByAEoAgAhBEGAAiEDAkADQCAERQ0BIAMpAwAhBiAGQgBSIAMvAQhFcQRAIAVBASAGQgF9p3RyIQULIANBIGohAyAEQQFrIQQMAAsLIAUL';

type NodeWasi = typeof import('node:wasi');
let wasiModule: Promise<NodeWasi> | undefined;
let probeModule: WebAssembly.Module | undefined;

/** Runs `fn` with Node's process warnings silenced ("WASI is experimental", closing a foreign fd). */
export function quietly<T>(fn: () => T): T {
  const emitWarning = process.emitWarning;
  process.emitWarning = () => {};
  try {
    return fn();
  } finally {
    process.emitWarning = emitWarning;
  }
}

function loadWasi(): Promise<NodeWasi> {
  wasiModule ??= quietly(() => import('node:wasi'));
  return wasiModule;
}

/**
 * Loads node:wasi and compiles the probe ahead of need (a worker booted before
 * its guest arrives), so a guest's exit does not wait for either.
 */
export async function preparePipeProbe(): Promise<void> {
  await loadWasi();
  probeModule ??= await WebAssembly.compile(Buffer.from(PIPE_PROBE_WASM_BASE64, 'base64'));
}

/** Whether any of the (one or two) pipes behind `readFds` holds unread bytes, waiting at most one timeout. */
async function anyReadable(readFds: readonly number[], timeoutNs: bigint): Promise<boolean> {
  const { WASI } = await loadWasi();
  probeModule ??= new WebAssembly.Module(Buffer.from(PIPE_PROBE_WASM_BASE64, 'base64'));
  const wasi = quietly(
    () => new WASI({ version: 'preview1', stdin: readFds[0]!, ...(readFds[1] === undefined ? {} : { stdout: readFds[1] }), returnOnExit: true }),
  );
  const instance = new WebAssembly.Instance(probeModule, wasi.getImportObject() as WebAssembly.Imports);
  wasi.initialize(instance);
  const mask = (instance.exports.readable_within as (timeoutNs: bigint, nfds: number) => number)(timeoutNs, readFds.length);
  if (mask < 0) throw new Error('poll_oneoff failed on the pipe probe');
  return mask !== 0;
}

async function holdBytes(readFds: readonly number[]): Promise<boolean> {
  for (const timeout of PROBE_TIMEOUTS_NS) {
    if (await anyReadable(readFds, timeout)) return true;
  }
  return false;
}

/** Whether a process other than this one holds the pipe behind `fd` open for reading (from /proc). */
export async function hasOtherReader(fd: number): Promise<boolean> {
  let target: string;
  try {
    target = await readlink(`/proc/self/fd/${fd}`); // a FIFO's path, or pipe:[inode]
  } catch {
    return false;
  }
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid);
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const other of fds) {
      if ((await readlink(`/proc/${pid}/fd/${other}`).catch(() => '')) !== target) continue;
      const info = await readFile(`/proc/${pid}/fdinfo/${other}`, 'utf8').catch(() => '');
      const flags = /^flags:\s*([0-7]+)/m.exec(info)?.[1];
      // O_ACCMODE: O_RDONLY (0) and O_RDWR (2) read; O_WRONLY (1) does not.
      if (flags !== undefined && (parseInt(flags, 8) & 3) !== 1) return true;
    }
  }
  return false;
}

/**
 * Resolves once the pipes or FIFOs that `writeFds` write into are all empty, or
 * at `deadline` (ms since the epoch, as Date.now()), whichever comes first; true
 * if they were seen empty. Anything that is not a pipe counts as empty at once.
 */
export async function waitUntilPipesDrained(writeFds: readonly number[], deadline: number): Promise<boolean> {
  const readFds: number[] = [];
  try {
    for (const writeFd of new Set(writeFds)) {
      const watcher = openWatcher(writeFd);
      if (watcher !== undefined) readFds.push(watcher);
    }
    return await waitUntilWatchedPipesDrained(readFds, deadline);
  } finally {
    for (const fd of readFds) fs.closeSync(fd);
  }
}

/**
 * A read end of our own on the pipe or FIFO behind `fd` (Linux reopens pipes
 * through /proc), to watch it with waitUntilWatchedPipesDrained even after
 * `fd` itself is closed; undefined when `fd` is not a pipe or is gone.
 */
export function openWatcher(fd: number): number | undefined {
  try {
    if (!fs.fstatSync(fd).isFIFO()) return undefined;
    return fs.openSync(`/proc/self/fd/${fd}`, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
}

/** Like waitUntilPipesDrained, through watchers (openWatcher) the caller owns. */
export async function waitUntilWatchedPipesDrained(readFds: readonly number[], deadline: number): Promise<boolean> {
  try {
    let drained = true;
    for (let first = 0; first < readFds.length; first += PIPES_PER_PROBE) {
      const group = readFds.slice(first, first + PIPES_PER_PROBE);
      let readerSeen = false;
      for (;;) {
        if (!(await holdBytes(group))) break;
        if (!readerSeen) {
          // Bytes remain: worth waiting for only if someone can take them.
          const readers = await Promise.all(group.map(hasOtherReader));
          if (!readers.some(Boolean)) {
            drained = false;
            break;
          }
          readerSeen = true;
        }
        if (Date.now() >= deadline) {
          drained = false;
          break;
        }
        await sleep(RETRY_INTERVAL_MS);
      }
    }
    return drained;
  } catch {
    return true;
  }
}
