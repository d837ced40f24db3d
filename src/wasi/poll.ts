import { ClockId, EventRwFlags, EventType, Layout, Rights, SubclockFlags } from './abi.js';
import { clockTime, monotonicNow } from './clock.js';
import type { Descriptor, Readiness } from './descriptor.js';
import { Errno, WasiError, errnoOf } from './errno.js';
import type { HostContext, ImportTable } from './host-context.js';

interface Subscription {
  userdata: bigint;
  type: number;
  /** Clock subscriptions: when they fire, on the monotonic clock. */
  deadline?: bigint;
  fd?: number;
  /** The fd's descriptor, looked up once per call (the guest cannot close it while suspended). */
  descriptor?: Descriptor;
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
    // One bounds check above, then plain reads: a reactor polls hundreds of fds per call.
    const view = memory.dataView;
    const subs: Subscription[] = [];
    for (let i = 0; i < count; i++) {
      const base = ptr + i * Layout.SUBSCRIPTION_SIZE;
      const userdata = view.getBigUint64(base, true);
      const type = view.getUint8(base + 8);
      if (type === EventType.CLOCK) {
        subs.push({ userdata, type, ...clockDeadline(view.getUint32(base + 16, true), view.getBigUint64(base + 24, true), view.getUint16(base + 40, true)) });
      } else if (type === EventType.FD_READ || type === EventType.FD_WRITE) {
        const fd = view.getUint32(base + 16, true);
        try {
          subs.push({ userdata, type, fd, descriptor: fds.get(fd, Rights.POLL_FD_READWRITE) });
        } catch (error) {
          subs.push({ userdata, type, fd, errno: errnoOf(error) ?? Errno.IO });
        }
      } else {
        throw new WasiError(Errno.INVAL);
      }
    }
    return subs;
  };

  const check = (sub: Subscription, now: bigint): Event | undefined => {
    const event = (errno: number, nbytes: bigint, flags: number): Event => ({ userdata: sub.userdata, type: sub.type, errno, nbytes, flags });
    if (sub.errno !== undefined) return event(sub.errno, 0n, 0);
    if (sub.type === EventType.CLOCK) return now >= (sub.deadline as bigint) ? event(0, 0n, 0) : undefined;
    let readiness: Readiness | undefined;
    try {
      const d = sub.descriptor as Descriptor;
      readiness = sub.type === EventType.FD_READ ? d.readReadiness() : d.writeReadiness();
    } catch (error) {
      readiness = { nbytes: 0n, hangup: false, errno: errnoOf(error) ?? Errno.IO };
    }
    if (readiness === undefined) return undefined;
    return event(readiness.errno ?? 0, readiness.nbytes, readiness.hangup ? EventRwFlags.HANGUP : 0);
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

  /**
   * Resolves after the first wake-up; the others are cancelled, so idle fds
   * accumulate nothing. The guest resumes in the event loop's check phase
   * (setImmediate), once every I/O callback of this turn has run: a server
   * busy on many connections then finds them all ready in one poll_oneoff,
   * instead of one per call.
   */
  const wait = (subs: Subscription[]): Promise<void> =>
    new Promise<void>((resolve) => {
      let earliest: bigint | undefined;
      let timer: NodeJS.Timeout | undefined;
      let woken = false;
      const cancels: (() => void)[] = [];
      const wake = (): void => {
        if (woken) return;
        woken = true;
        clearTimeout(timer);
        for (const cancel of cancels) cancel();
        setImmediate(resolve);
      };
      for (const sub of subs) {
        if (sub.type === EventType.CLOCK) {
          if (earliest === undefined || (sub.deadline as bigint) < earliest) earliest = sub.deadline;
          continue;
        }
        const d = sub.descriptor as Descriptor;
        cancels.push(sub.type === EventType.FD_READ ? d.onReadable(wake) : d.onWritable(wake));
      }
      if (earliest !== undefined) {
        const ms = Number((earliest - monotonicNow() + 999_999n) / 1_000_000n);
        timer = setTimeout(wake, Math.min(Math.max(ms, 0), MAX_TIMER_MS));
      }
    });

  return {
    immediate: {},
    waiting: {
      poll_oneoff(inPtr: number, outPtr: number, count: number, neventsPtr: number): number | Promise<number> {
        if (count === 0) throw new WasiError(Errno.INVAL);
        const subs = readSubscriptions(inPtr, count);
        const collect = (): Event[] => {
          const now = monotonicNow();
          const events: Event[] = [];
          for (const sub of subs) {
            const event = check(sub, now);
            if (event !== undefined) events.push(event);
          }
          return events;
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
