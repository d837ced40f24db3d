import type { PreparedContainer } from './collaborators.js';
import type { ProcessRecord } from './process-record.js';

/** One task: its container (rootfs, spec), its init process and its execs. */
export interface TaskRecord {
  id: string;
  bundle: string;
  container: PreparedContainer;
  init: ProcessRecord;
  execs: Map<string, ProcessRecord>;
  /**
   * Memory-limit counts of guests that have ended, as a memory cgroup keeps
   * them: grows refused at the limit, and guests ended by running out.
   */
  oom: { limitHits: number; kills: number };
}

/** The init and every exec, init first. */
export function processesOf(task: TaskRecord): ProcessRecord[] {
  return [task.init, ...task.execs.values()];
}
