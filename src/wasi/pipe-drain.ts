import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Waiting until a pipe's reader has taken every byte in it, without reading any.
 *
 * Why: a client built on containerd 1.6's `cio` (ctr run among them) closes its
 * FIFO readers as soon as its Wait returns, and drops whatever is still in the
 * pipe. So a guest's exit may be reported only once its stdout and stderr pipes
 * are empty, not merely once the bytes are in them.
 *
 * How: Node offers neither ioctl(FIONREAD) nor poll(2), but node:wasi's
 * poll_oneoff (uvwasi, which polls host fds through libuv) tells whether a read
 * end is readable without reading it: readable means bytes are still in the
 * pipe. Only that call is used, from a module of a dozen instructions; no
 * guest ever runs on node:wasi.
 */

/** Pause between probes while the reader is still behind. */
const RETRY_INTERVAL_MS = 2;

/**
 * How long a probe waits for "readable" before calling the pipe empty, first and
 * to confirm. uvwasi arms a libuv timer that counts whole milliseconds from a
 * cached clock: when the thread is preempted between arming and polling, the
 * timer can fire before a ready fd is seen, so "empty" is asked twice, the
 * second time with more margin. "Holds bytes" is never wrong.
 */
const PROBE_TIMEOUTS_NS = [3_000_000n, 10_000_000n];

/**
 * The probe module, assembled from `pipe-probe.wat` beside this file (a unit
 * test assembles it again and compares): `readable_within(timeout_ns) -> i32`
 * polls WASI fd 0 for reading together with a relative clock, and answers 1 if
 * fd 0 became readable, 0 if the time ran out, -1 if poll_oneoff failed.
 */
export const PIPE_PROBE_WASM_BASE64 =
  'AGFzbQEAAAABDgJgBH9/f38Bf2ABfgF/AiYBFndhc2lfc25hcHNob3RfcHJldmlldzELcG9sbF9vbmVvZmYAAAMCAQEFAwEAAQccAgZtZW1vcnkCAA9yZWFkYWJsZV93aXRoaW4AAQpyAXAAQQBBAEGAAvwLAEEAQgE3AwBBCEEBOgAAQTBCAjcDAEHAAEEBNgIAQcgAIAA3AwBBAEGAAUECQeAAEAAEQEF/DwtBgAEpAwBCAVFBiAEvAQBFcUHgACgCAEECT0GgASkDAEIBUUGoAS8BAEVxcXIL';

type NodeWasi = typeof import('node:wasi');
let wasiModule: Promise<NodeWasi> | undefined;
let probeModule: WebAssembly.Module | undefined;

/** node:wasi, imported once and without its "experimental" warning on the daemon's stderr. */
function loadWasi(): Promise<NodeWasi> {
  wasiModule ??= (async () => {
    const emitWarning = process.emitWarning;
    process.emitWarning = () => {};
    try {
      return await import('node:wasi');
    } finally {
      process.emitWarning = emitWarning;
    }
  })();
  return wasiModule;
}

/** Whether the pipe behind `readFd` holds unread bytes, waiting at most `timeoutNs` for them. */
async function readableWithin(readFd: number, timeoutNs: bigint): Promise<boolean> {
  const { WASI } = await loadWasi();
  probeModule ??= new WebAssembly.Module(Buffer.from(PIPE_PROBE_WASM_BASE64, 'base64'));
  const emitWarning = process.emitWarning;
  process.emitWarning = () => {};
  let wasi: InstanceType<NodeWasi['WASI']>;
  try {
    wasi = new WASI({ version: 'preview1', stdin: readFd, returnOnExit: true });
  } finally {
    process.emitWarning = emitWarning;
  }
  const instance = new WebAssembly.Instance(probeModule, wasi.getImportObject() as WebAssembly.Imports);
  wasi.initialize(instance);
  const answer = (instance.exports.readable_within as (timeoutNs: bigint) => number)(timeoutNs);
  if (answer < 0) throw new Error('poll_oneoff failed on the pipe probe');
  return answer === 1;
}

async function holdsBytes(readFd: number): Promise<boolean> {
  for (const timeout of PROBE_TIMEOUTS_NS) {
    if (await readableWithin(readFd, timeout)) return true;
  }
  return false;
}

/**
 * Resolves once the pipe or FIFO that `writeFd` writes into is empty, or at
 * `deadline` (ms since the epoch, as Date.now()), whichever comes first; true
 * if it was seen empty. Anything that is not a pipe counts as empty at once.
 */
export async function waitUntilPipeDrained(writeFd: number, deadline: number): Promise<boolean> {
  let readFd: number;
  try {
    if (!fs.fstatSync(writeFd).isFIFO()) return true;
    // A read end of our own on the same pipe (Linux reopens pipes through /proc): it only watches.
    readFd = fs.openSync(`/proc/self/fd/${writeFd}`, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch {
    return true; // the fd is gone: nothing of ours left to wait for
  }
  try {
    for (;;) {
      if (!(await holdsBytes(readFd))) return true;
      if (Date.now() >= deadline) return false;
      await sleep(RETRY_INTERVAL_MS);
    }
  } catch {
    return true;
  } finally {
    fs.closeSync(readFd);
  }
}
