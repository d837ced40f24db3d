import { closeSync, constants, openSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { EventSink, TaskEvent } from '../../task/events.js';
import { openBundleLog } from './handoff.js';
import type { FifoLogDestination } from './logger.js';

interface Bundle {
  path: string;
  /** The bundle's `log` FIFO, when the daemon logs there. */
  logFd?: number;
}

/**
 * What a daemon does with its tasks' bundles beside running them, seen from
 * the events the task service publishes:
 * - once a task is deleted it removes the bundle's `address` file: a daemon that
 *   lives on (a pod's, a namespace's) no longer holds the task, so the `shim
 *   delete` that containerd runs next is answered by the `sh` wrapper alone;
 * - with `followLogs` (a namespace's shared daemon, which outlives the bundle
 *   it started from) it logs to the `log` FIFO of its newest task, and closes a
 *   task's FIFO once the task is deleted (containerd's reader sees the end, as
 *   when a shim exits).
 */
export class TaskBundles implements EventSink {
  private readonly bundles = new Map<string, Bundle>();
  private readonly inner: EventSink;
  private readonly log: FifoLogDestination | undefined;
  /** Where the log goes while no task's FIFO is open (the first bundle's, until the first task). */
  private idleLogFd: number;

  constructor(inner: EventSink, options: { followLogs?: { destination: FifoLogDestination; initialFd: number } } = {}) {
    this.inner = inner;
    this.log = options.followLogs?.destination;
    this.idleLogFd = options.followLogs?.initialFd ?? -1;
  }

  publish(event: TaskEvent): void {
    this.inner.publish(event);
    if (event.topic === '/tasks/create') this.created(event.containerId, event.bundle);
    else if (event.topic === '/tasks/delete') this.deleted(event.containerId);
  }

  private created(id: string, bundle: string): void {
    const entry: Bundle = { path: bundle };
    if (this.log !== undefined) {
      entry.logFd = openBundleLog(bundle);
      this.log.retarget(entry.logFd);
      this.releaseIdleLog();
    }
    this.bundles.set(id, entry);
  }

  private deleted(id: string): void {
    const entry = this.bundles.get(id);
    if (entry === undefined) return;
    this.bundles.delete(id);
    rmSync(path.join(entry.path, 'address'), { force: true });
    // After the lines the deletion itself logs.
    setImmediate(() => this.closeLog(entry));
  }

  private closeLog(entry: Bundle): void {
    if (entry.logFd === undefined || this.log === undefined) return;
    const newest = [...this.bundles.values()].reverse().find((b) => b.logFd !== undefined);
    if (newest?.logFd !== undefined) this.log.retarget(newest.logFd);
    else {
      this.idleLogFd = openSync('/dev/null', constants.O_WRONLY);
      this.log.retarget(this.idleLogFd);
    }
    closeSync(entry.logFd);
  }

  private releaseIdleLog(): void {
    // Never the standard fds (a cold daemon's stderr is its first bundle's log): a socket would take the number.
    if (this.idleLogFd > 2) closeSync(this.idleLogFd);
    this.idleLogFd = -1;
  }
}
