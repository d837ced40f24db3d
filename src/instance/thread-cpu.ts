import { readFileSync } from 'node:fs';

/** USER_HZ: the unit of utime/stime in /proc (fixed at 100 on Linux, whatever the kernel's HZ). */
const CLOCK_TICKS_PER_SECOND = 100;
const NS_PER_TICK = 1_000_000_000 / CLOCK_TICKS_PER_SECOND;

export interface ThreadCpu {
  userNs: number;
  systemNs: number;
  /** Time on a CPU in ns, from schedstat when available (finer than the tick counts). */
  totalNs: number;
}

/**
 * CPU time of one thread of this process (proc(5): /proc/self/task/<tid>/stat
 * fields 14 utime and 15 stime; schedstat field 1). Zero for a thread that has
 * ended.
 */
export function threadCpu(tid: number): ThreadCpu {
  let stat: string;
  try {
    stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  } catch {
    return { userNs: 0, systemNs: 0, totalNs: 0 };
  }
  // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const userNs = Number(fields[11]) * NS_PER_TICK;
  const systemNs = Number(fields[12]) * NS_PER_TICK;
  let totalNs = userNs + systemNs;
  try {
    const onCpu = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    if (Number.isFinite(onCpu) && onCpu > 0) totalNs = onCpu;
  } catch {
    // no schedstat (CONFIG_SCHEDSTATS off): the tick counts will do
  }
  return { userNs, systemNs, totalNs };
}
