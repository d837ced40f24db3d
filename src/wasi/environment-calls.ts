import { randomFillSync } from 'node:crypto';
import { statusForSignal } from '../exit-status.js';
import { setImmediate } from 'node:timers';
import { clockResolution, clockTime } from './clock.js';
import { Errno, fail } from './errno.js';
import { ProcExit } from './exit.js';
import type { HostContext, ImportTable } from './host-context.js';

/** args, environ, clocks, random and the proc_/sched_ imports. */
export function environmentCalls(ctx: HostContext): ImportTable {
  const { memory } = ctx;

  /** Copies NUL-terminated strings and their pointers, as args_get/environ_get do. */
  const copyStrings = (strings: Uint8Array[], pointersPtr: number, bufPtr: number): number => {
    let cursor = bufPtr;
    strings.forEach((bytes, i) => {
      memory.setU32(pointersPtr + i * 4, cursor);
      memory.write(cursor, bytes);
      cursor += bytes.length;
    });
    return 0;
  };
  const sizes = (strings: Uint8Array[], countPtr: number, sizePtr: number): number => {
    memory.setU32(countPtr, strings.length);
    memory.setU32(sizePtr, strings.reduce((sum, s) => sum + s.length, 0));
    return 0;
  };

  return {
    immediate: {
      args_get: (argv: number, buf: number) => copyStrings(ctx.args, argv, buf),
      args_sizes_get: (count: number, size: number) => sizes(ctx.args, count, size),
      environ_get: (environ: number, buf: number) => copyStrings(ctx.env, environ, buf),
      environ_sizes_get: (count: number, size: number) => sizes(ctx.env, count, size),
      clock_res_get(id: number, ptr: number): number {
        memory.setU64(ptr, clockResolution(id));
        return 0;
      },
      clock_time_get(id: number, _precision: bigint, ptr: number): number {
        memory.setU64(ptr, clockTime(id));
        return 0;
      },
      random_get(ptr: number, len: number): number {
        randomFillSync(memory.slice(ptr, len));
        return 0;
      },
      proc_exit(code: number): number {
        throw new ProcExit(code);
      },
      proc_raise(signal: number): number {
        return raise(signal);
      },
    },
    waiting: {
      // Yields to the event loop so pending I/O (stdout draining, stdin) progresses.
      sched_yield: () => new Promise<number>((resolve) => setImmediate(() => resolve(0))),
    },
  };
}

// WASI signal numbers (witx `$signal`): 1..15 match Linux; from 16 on, Linux's are one higher (SIGSTKFLT).
const IGNORED_BY_DEFAULT = new Set([16 /* CHLD */, 17 /* CONT */, 22 /* URG */, 27 /* WINCH */]);
const STOPS = new Set([18 /* STOP */, 19 /* TSTP */, 20 /* TTIN */, 21 /* TTOU */]);
const LAST_SIGNAL = 30; // SYS

/**
 * proc_raise applies the signal's default action, as raise(3) in a process
 * with no handlers would: terminating signals end the instance with 128+n
 * (the Linux number), ignored ones do nothing, stop signals are ENOTSUP since
 * an instance cannot be stopped from inside.
 */
function raise(signal: number): number {
  if (signal === 0 || IGNORED_BY_DEFAULT.has(signal)) return 0;
  if (signal > LAST_SIGNAL) return fail(Errno.INVAL);
  if (STOPS.has(signal)) return fail(Errno.NOTSUP);
  const linux = signal < 16 ? signal : signal + 1;
  throw new ProcExit(statusForSignal(linux));
}
