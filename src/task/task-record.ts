import type { PreparedContainer } from './collaborators.js';
import type { ProcessRecord } from './process-record.js';

/** One task: its container (rootfs, spec), its init process and its execs. */
export interface TaskRecord {
  id: string;
  bundle: string;
  container: PreparedContainer;
  init: ProcessRecord;
  execs: Map<string, ProcessRecord>;
  /** Out-of-memory counts of the task's guests, as a memory cgroup keeps them. */
  oom: { events: number; kills: number };
}

/** The init and every exec, init first. */
export function processesOf(task: TaskRecord): ProcessRecord[] {
  return [task.init, ...task.execs.values()];
}
