/** Encodes task events as containerd's Forward envelopes (api/events/task.proto, api/services/ttrpc/events/v1). */
import { containerd } from '../../generated/index.js';
import type { TaskEvent } from '../../task/events.js';
import { optionalTimestamp, toTimestamp } from '../rpc/wire-convert.js';

const events = containerd.events;

/** The event as a google.protobuf.Any with containerd's bare type URL. */
export function eventAny(event: TaskEvent): { typeUrl: string; value: Uint8Array } {
  switch (event.topic) {
    case '/tasks/create':
      return {
        typeUrl: 'containerd.events.TaskCreate',
        value: events.TaskCreate.encode({
          containerId: event.containerId,
          bundle: event.bundle,
          rootfs: event.rootfs,
          io: event.io,
          pid: event.pid,
        }).finish(),
      };
    case '/tasks/start':
      return {
        typeUrl: 'containerd.events.TaskStart',
        value: events.TaskStart.encode({ containerId: event.containerId, pid: event.pid }).finish(),
      };
    case '/tasks/exit':
      return {
        typeUrl: 'containerd.events.TaskExit',
        value: events.TaskExit.encode({
          containerId: event.containerId,
          id: event.id,
          pid: event.pid,
          exitStatus: event.exitStatus,
          exitedAt: toTimestamp(event.exitedAt),
        }).finish(),
      };
    case '/tasks/delete':
      return {
        typeUrl: 'containerd.events.TaskDelete',
        value: events.TaskDelete.encode({
          containerId: event.containerId,
          pid: event.pid,
          exitStatus: event.exitStatus,
          exitedAt: optionalTimestamp(event.exitedAt),
          id: event.id,
        }).finish(),
      };
    case '/tasks/exec-added':
      return {
        typeUrl: 'containerd.events.TaskExecAdded',
        value: events.TaskExecAdded.encode({ containerId: event.containerId, execId: event.execId }).finish(),
      };
    case '/tasks/exec-started':
      return {
        typeUrl: 'containerd.events.TaskExecStarted',
        value: events.TaskExecStarted.encode({
          containerId: event.containerId,
          execId: event.execId,
          pid: event.pid,
        }).finish(),
      };
    case '/tasks/oom':
      return {
        typeUrl: 'containerd.events.TaskOOM',
        value: events.TaskOOM.encode({ containerId: event.containerId }).finish(),
      };
    case '/tasks/paused':
      return {
        typeUrl: 'containerd.events.TaskPaused',
        value: events.TaskPaused.encode({ containerId: event.containerId }).finish(),
      };
    case '/tasks/resumed':
      return {
        typeUrl: 'containerd.events.TaskResumed',
        value: events.TaskResumed.encode({ containerId: event.containerId }).finish(),
      };
  }
}

/** A ForwardRequest for `event` in `namespace`, stamped at `at`. */
export function forwardRequest(event: TaskEvent, namespace: string, at: Date): Uint8Array {
  return containerd.services.events.ttrpc.v1.ForwardRequest.encode({
    envelope: { timestamp: toTimestamp(at), namespace, topic: event.topic, event: eventAny(event) },
  }).finish();
}
