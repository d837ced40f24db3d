import { FailedPreconditionError } from '../errors.js';

/**
 * Lifecycle of one process (a task's init or one of its execs). `starting` and
 * `deleting` name the moments an async operation is under way, so a second
 * request arriving meanwhile gets a precise answer instead of racing.
 */
export type ProcessState = 'created' | 'starting' | 'running' | 'paused' | 'stopped' | 'deleting' | 'deleted';

export type ProcessOperation = 'start' | 'started' | 'pause' | 'resume' | 'exit' | 'delete' | 'deleted';

const transitions: Record<ProcessState, Partial<Record<ProcessOperation, ProcessState>>> = {
  created: { start: 'starting', exit: 'stopped', delete: 'deleting' },
  starting: { started: 'running', exit: 'stopped' },
  running: { pause: 'paused', exit: 'stopped' },
  paused: { resume: 'running', exit: 'stopped' },
  stopped: { delete: 'deleting' },
  deleting: { deleted: 'deleted' },
  deleted: {},
};

const verbs: Record<ProcessOperation, string> = {
  start: 'start',
  started: 'mark as started',
  pause: 'pause',
  resume: 'resume',
  exit: 'record the exit of',
  delete: 'delete',
  deleted: 'finish deleting',
};

/** The state after `operation`, or a FailedPreconditionError naming the process and its state. */
export function nextState(current: ProcessState, operation: ProcessOperation, processName: string): ProcessState {
  const next = transitions[current][operation];
  if (next === undefined) {
    throw new FailedPreconditionError(`cannot ${verbs[operation]} ${processName}: it is ${current}`);
  }
  return next;
}

/** containerd.v1.types.Status (api/types/task/task.proto). */
export const TaskStatus = {
  UNKNOWN: 0,
  CREATED: 1,
  RUNNING: 2,
  STOPPED: 3,
  PAUSED: 4,
  PAUSING: 5,
} as const;

export function statusOf(state: ProcessState): number {
  switch (state) {
    case 'created':
      return TaskStatus.CREATED;
    case 'starting':
    case 'running':
      return TaskStatus.RUNNING;
    case 'paused':
      return TaskStatus.PAUSED;
    case 'stopped':
    case 'deleting':
    case 'deleted':
      return TaskStatus.STOPPED;
  }
}
