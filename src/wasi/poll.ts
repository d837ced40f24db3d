import { ClockId, EventRwFlags, EventType, Layout, Rights, SubclockFlags } from './abi.js';
import { clockTime, monotonicNow } from './clock.js';
import type { Readiness } from './descriptor.js';
import { Errno, WasiError, errnoOf } from './errno.js';
import type { HostContext, ImportTable } from './host-context.js';

interface Subscription {
  userdata: bigint;
  type: number;
  /** Clock subscriptions: when they fire, on the monotonic clock. */
  deadline?: bigint;
  fd?: number;
  /** Set when the subscription is invalid; it is reported at once. */
  errno?: number;
}

interface Event {
  userdata: bigint;
  type: number;
  errno: number;
  nbytes: bigint;
  flags: number;
}

/** A timer never waits longer than this at once (setTimeout's 32-bit limit). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * poll_oneoff: reports every subscription that is ready; if none is, suspends
 * the guest until a clock fires or an fd becomes ready, then reports all that
 * are ready by then.
 */
export function pollCalls(ctx: HostContext): ImportTable {
  const { memory, fds } = ctx;

  const readSubscriptions = (ptr: number, count: number): Subscription[] => {
    memory.check(ptr, count * Layout.SUBSCRIPTION_SIZE);
    const subs: Subscription[] = [];
    for (let i = 0; i < count; i++) {
      const base = ptr + i * Layout.SUBSCRIPTION_SIZE;
      const userdata = memory.u64(base);
      const type = memory.u8(base + 8);
      if (type === EventType.CLOCK) {
        subs.push({ userdata, type, ...clockDeadline(memory.u32(base + 16), memory.u64(base + 24), memory.u16(base + 40)) });
      } else if (type === EventType.FD_READ || type === EventType.FD_WRITE) {
        subs.push({ userdata, type, fd: memory.u32(base + 16) });
      } else {
        throw new WasiError(Errno.INVAL);
      }
    }
    return subs;
  };

  const check = (sub: Subscription, now: bigint): Event | undefined => {
    const event = { userdata: sub.userdata, type: sub.type, errno: 0, nbytes: 0n, flags: 0 };
    if (sub.errno !== undefined) return { ...event, errno: sub.errno };
    if (sub.type === EventType.CLOCK) return now >= (sub.deadline as bigint) ? event : undefined;
    let readiness: Readiness | undefined;
    try {
      const d = fds.get(sub.fd as number, Rights.POLL_FD_READWRITE);
      readiness = sub.type === EventType.FD_READ ? d.readReadiness() : d.writeReadiness();
    } catch (error) {
      readiness = { nbytes: 0n, hangup: false, errno: errnoOf(error) ?? Errno.IO };
    }
    if (readiness === undefined) return undefined;
    return { ...event, errno: readiness.errno ?? 0, nbytes: readiness.nbytes, flags: readiness.hangup ? EventRwFlags.HANGUP : 0 };
  };

  const writeEvents = (ptr: number, events: Event[], countPtr: number): number => {
    memory.check(ptr, events.length * Layout.EVENT_SIZE);
    events.forEach((e, i) => {
      const base = ptr + i * Layout.EVENT_SIZE;
      memory.write(base, new Uint8Array(Layout.EVENT_SIZE));
      memory.setU64(base, e.userdata);
      memory.setU16(base + 8, e.errno);
      memory.setU8(base + 10, e.type);
      memory.setU64(base + 16, e.nbytes);
      memory.setU16(base + 24, e.flags);
    });
    memory.setU32(countPtr, events.length);
    return 0;
  };

  const wait = (subs: Subscription[]): Promise<void> => {
    let earliest: bigint | undefined;
    const wakers: Promise<void>[] = [];
    for (const sub of subs) {
      if (sub.type === EventType.CLOCK) {
        if (earliest === undefined || (sub.deadline as bigint) < earliest) earliest = sub.deadline;
        continue;
      }
      const d = fds.get(sub.fd as number);
      wakers.push(sub.type === EventType.FD_READ ? d.whenReadable() : d.whenWritable());
    }
    let timer: NodeJS.Timeout | undefined;
    if (earliest !== undefined) {
      const ms = Number((earliest - monotonicNow() + 999_999n) / 1_000_000n);
      wakers.push(new Promise((resolve) => (timer = setTimeout(resolve, Math.min(Math.max(ms, 0), MAX_TIMER_MS)))));
    }
    return Promise.race(wakers).finally(() => clearTimeout(timer));
  };

  return {
    immediate: {},
    waiting: {
      poll_oneoff(inPtr: number, outPtr: number, count: number, neventsPtr: number): number | Promise<number> {
        if (count === 0) throw new WasiError(Errno.INVAL);
        const subs = readSubscriptions(inPtr, count);
        const collect = (): Event[] => {
          const now = monotonicNow();
          return subs.map((s) => check(s, now)).filter((e): e is Event => e !== undefined);
        };
        const ready = collect();
        if (ready.length > 0) return writeEvents(outPtr, ready, neventsPtr);
        const loop = async (): Promise<number> => {
          for (;;) {
            await wait(subs);
            const events = collect();
            if (events.length > 0) return writeEvents(outPtr, events, neventsPtr);
          }
        };
        return loop();
      },
    },
  };
}

/** A clock subscription's deadline on the monotonic clock, or its errno. */
function clockDeadline(id: number, timeout: bigint, flags: number): { deadline?: bigint; errno?: number } {
  let now: bigint;
  try {
    now = clockTime(id);
  } catch {
    return { errno: Errno.INVAL };
  }
  const mono = monotonicNow();
  if ((flags & SubclockFlags.ABSTIME) === 0) return { deadline: mono + timeout };
  if (id === ClockId.MONOTONIC) return { deadline: timeout };
  // Absolute on another clock: convert the remaining time to the monotonic clock.
  return { deadline: mono + (timeout - now) };
}
