/**
 * Pause, resume and stats of a whole task: like a cgroup freezer and a
 * cgroup's counters, they apply to the init and every exec together.
 */
import { FailedPreconditionError, InvalidArgumentError } from '../errors.js';
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
  limitHits: number;
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
    limitHits: task.oom.limitHits + sum((s) => s.growRefused),
    oomKills: task.oom.kills,
  };
}

/** The memory limit in an UpdateTaskRequest's resources (OCI LinuxResources, JSON); null means "no limit", undefined "unchanged". */
export function memoryLimitOf(resourcesJson: string, where: string): number | null | undefined {
  let resources: { memory?: { limit?: unknown } } | null;
  try {
    resources = JSON.parse(resourcesJson) as typeof resources;
  } catch (cause) {
    throw new InvalidArgumentError(`${where}: the resources are not valid JSON (OCI LinuxResources)`, { cause });
  }
  const limit = resources?.memory?.limit;
  if (limit === undefined || limit === null) return undefined;
  if (typeof limit !== 'number' || !Number.isInteger(limit)) throw new InvalidArgumentError(`${where}: memory.limit must be an integer`);
  return limit <= 0 ? null : limit; // -1 (or 0) lifts the limit, as for a cgroup
}

/** Applies a new memory limit to every live guest of the task, and to execs started later. */
export async function updateMemoryLimit(task: TaskRecord, limit: number | null): Promise<void> {
  const live = processesOf(task).filter((p) => p.isLive);
  await Promise.all(live.map((p) => p.instance.setMemoryLimit(limit ?? undefined)));
  if (limit === null) delete task.container.memoryLimitBytes;
  else task.container.memoryLimitBytes = limit;
}
