/**
 * Pause, resume and stats of a whole task: like a cgroup freezer and a
 * cgroup's counters, they apply to the init and every exec together.
 */
import { FailedPreconditionError } from '../errors.js';
import type { EventSink } from './events.js';
import { processesOf, type TaskRecord } from './task-record.js';

export interface TaskStats {
  /** Linear memory of every live guest of the task. */
  linearMemoryBytes: number;
  /** Engine heap (V8 isolates) of those guests. */
  engineHeapBytes: number;
  cpuUserNs: number;
  cpuSystemNs: number;
  cpuTotalNs: number;
  /** The cap on each guest's linear memory, if the task has one. */
  memoryLimitBytes: number | undefined;
  /** Guests running (or paused) now. */
  processes: number;
  /** Times a guest's memory.grow was refused at the limit. */
  oomEvents: number;
  /** Guests ended because they ran out of memory. */
  oomKills: number;
}

export async function pauseTask(task: TaskRecord, events: EventSink): Promise<void> {
  if (task.init.state !== 'running') {
    throw new FailedPreconditionError(`cannot pause task ${task.id}: it is ${task.init.state}`);
  }
  const running = processesOf(task).filter((p) => p.state === 'running');
  const results = await Promise.allSettled(running.map((p) => p.instance.pause()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) {
    // All or nothing: a half-paused task would be neither state.
    await Promise.allSettled(running.map((p) => p.instance.resume()));
    throw failed.reason;
  }
  for (const process of running) {
    if (process.state === 'running') process.move('pause');
  }
  events.publish({ topic: '/tasks/paused', containerId: task.id });
}

export async function resumeTask(task: TaskRecord, events: EventSink): Promise<void> {
  if (task.init.state !== 'paused') {
    throw new FailedPreconditionError(`cannot resume task ${task.id}: it is ${task.init.state}, not paused`);
  }
  const paused = processesOf(task).filter((p) => p.state === 'paused');
  await Promise.all(paused.map((p) => p.instance.resume()));
  for (const process of paused) {
    if (process.state === 'paused') process.move('resume');
  }
  events.publish({ topic: '/tasks/resumed', containerId: task.id });
}

export async function taskStats(task: TaskRecord): Promise<TaskStats> {
  const live = processesOf(task).filter((p) => p.state === 'running' || p.state === 'paused' || p.state === 'starting');
  const each = await Promise.all(live.map((p) => p.instance.stats()));
  const sum = (pick: (s: (typeof each)[number]) => number) => each.reduce((total, s) => total + pick(s), 0);
  return {
    linearMemoryBytes: sum((s) => s.linearMemoryBytes),
    engineHeapBytes: sum((s) => s.engineHeapBytes),
    cpuUserNs: sum((s) => s.cpuUserNs),
    cpuSystemNs: sum((s) => s.cpuSystemNs),
    cpuTotalNs: sum((s) => s.cpuTotalNs),
    memoryLimitBytes: task.container.memoryLimitBytes,
    processes: live.length,
    oomEvents: task.oom.events,
    oomKills: task.oom.kills,
  };
}
