/**
 * Host processes as tests see them: whether one still runs, and which process a
 * thread (a task's pid is its guest's worker thread) belongs to.
 */
import { readFileSync } from 'node:fs';

/**
 * Running, not a zombie: a daemon orphaned to an init that does not reap (as in
 * some containers) stays in the process table after it ended.
 */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** The process (thread group) that thread `tid` belongs to. */
export function processOfThread(tid: number): number {
  const status = readFileSync(`/proc/${tid}/status`, 'utf8');
  const tgid = /^Tgid:\s+(\d+)$/m.exec(status)?.[1];
  if (tgid === undefined) throw new Error(`/proc/${tid}/status names no Tgid`);
  return Number(tgid);
}
