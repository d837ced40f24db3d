/**
 * The task events a shim publishes (containerd api/events/task.proto). The task
 * service emits these as plain values into an {@link EventSink}; the shim's
 * publisher encodes and forwards them, in order, to containerd.
 */
import type { MountSpec } from '../oci/container.js';

export interface StdioPaths {
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
}

export type { MountSpec } from '../oci/container.js';

export type TaskEvent =
  | {
      topic: '/tasks/create';
      containerId: string;
      bundle: string;
      rootfs: MountSpec[];
      io: StdioPaths;
      pid: number;
    }
  | { topic: '/tasks/start'; containerId: string; pid: number }
  | {
      topic: '/tasks/exit';
      containerId: string;
      id: string;
      pid: number;
      exitStatus: number;
      exitedAt: Date;
    }
  | {
      topic: '/tasks/delete';
      containerId: string;
      id: string;
      pid: number;
      exitStatus: number;
      exitedAt: Date | undefined;
    }
  | { topic: '/tasks/exec-added'; containerId: string; execId: string }
  | { topic: '/tasks/exec-started'; containerId: string; execId: string; pid: number }
  | { topic: '/tasks/oom'; containerId: string }
  | { topic: '/tasks/paused'; containerId: string }
  | { topic: '/tasks/resumed'; containerId: string };

export type TaskTopic = TaskEvent['topic'];

/** Where the task service sends events. Implementations must keep the order. */
export interface EventSink {
  publish(event: TaskEvent): void;
}
