import { ClockId } from './abi.js';
import { Errno, fail } from './errno.js';

const NS_PER_MS = 1_000_000n;

/** Monotonic nanoseconds since an arbitrary point (CLOCK_MONOTONIC). */
export function monotonicNow(): bigint {
  return process.hrtime.bigint();
}

// Wall-clock time with sub-millisecond steps: the monotonic clock offset by an
// anchor that is re-taken whenever the wall clock moved (NTP, settimeofday).
let anchor = BigInt(Date.now()) * NS_PER_MS - monotonicNow();

export function realtimeNow(): bigint {
  const wall = BigInt(Date.now()) * NS_PER_MS;
  let candidate = anchor + monotonicNow();
  const drift = candidate - wall;
  if (drift > 2n * NS_PER_MS || drift < -2n * NS_PER_MS) {
    anchor = wall - monotonicNow();
    candidate = wall;
  }
  return candidate;
}

/** CPU time of this worker thread: the guest's "process" is the worker. */
function cpuTimeNow(): bigint {
  const usage = process.threadCpuUsage();
  return BigInt(usage.user + usage.system) * 1000n;
}

/** clock_time_get: nanoseconds on the clock `id`; EINVAL for an unknown clock. */
export function clockTime(id: number): bigint {
  switch (id) {
    case ClockId.REALTIME:
      return realtimeNow();
    case ClockId.MONOTONIC:
      return monotonicNow();
    case ClockId.PROCESS_CPUTIME:
    case ClockId.THREAD_CPUTIME:
      return cpuTimeNow();
    default:
      return fail(Errno.INVAL);
  }
}

/** clock_res_get: the step each clock actually moves by. */
export function clockResolution(id: number): bigint {
  switch (id) {
    case ClockId.REALTIME:
    case ClockId.MONOTONIC:
      return 1n;
    case ClockId.PROCESS_CPUTIME:
    case ClockId.THREAD_CPUTIME:
      return 1000n; // getrusage-style microseconds
    default:
      return fail(Errno.INVAL);
  }
}
