import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  NotImplementedError,
} from '../errors.js';
import { ExitStatus } from '../exit-status.js';
import type { ExitResult } from '../instance/instance.js';
import { parseProcessSpec } from '../oci/process-spec.js';
import type { TaskServiceDeps } from './collaborators.js';
import type { StdioPaths } from './events.js';
import type {
  CloseIORequest,
  ConnectResponse,
  CreateTaskRequest,
  ExecProcessRequest,
  ExitInfo,
  KillRequest,
  ProcessInfo,
  ProcessRef,
  ResizePtyRequest,
  StateResponse,
} from './messages.js';
import { createProcess, isPodSandbox } from './process-factory.js';
import type { ProcessRecord } from './process-record.js';
import { signalDisposition } from './signals.js';
import { memoryLimitOf, pauseTask, resumeTask, taskStats, updateMemoryLimit, type TaskStats } from './task-controls.js';
import type { TaskRecord } from './task-record.js';
import { settledBy } from '../deadline.js';

/** How long Kill waits for the exits it caused to be recorded before it answers. */
const KILL_REPORTS_EXIT_WITHIN_MS = 2_000;


export const SHIM_VERSION_LABEL = 'wasmts';

/** Exit status of a process whose instance failed to start (containerd's own "unknown" status). */
const FAILED_TO_START_STATUS = ExitStatus.FAILED_TO_START;

/**
 * The Task API as plain async methods. It owns the task records and their
 * state machines; everything that touches the host arrives through `deps`.
 *
 * Over 300 lines for a reason: the 17 RPCs and the exit rules (recorded once,
 * after the output drained; OOM; Kill waiting for the exits it caused) act on
 * one table of tasks under one set of invariants, and reading them side by side
 * is how those invariants are checked. What could stand alone already does:
 * process creation (process-factory.ts), pause/stats/update (task-controls.ts),
 * state moves (state.ts), signals (signals.ts).
 */
export class TaskService {
  private readonly tasks = new Map<string, TaskRecord>();
  /** Ids whose Create is under way, so a concurrent duplicate is refused. */
  private readonly creating = new Set<string>();
  private readonly clock: () => Date;

  constructor(private readonly deps: TaskServiceDeps) {
    this.clock = deps.clock ?? (() => new Date());
  }

  get taskCount(): number {
    return this.tasks.size + this.creating.size;
  }

  async create(request: CreateTaskRequest): Promise<{ pid: number }> {
    const { id, bundle } = request;
    if (id === '') throw new InvalidArgumentError('create task: the id is empty');
    if (request.checkpoint !== '' || request.parentCheckpoint !== '') {
      throw new NotImplementedError(`create task ${id}: restoring a wasm task from a checkpoint is not supported`);
    }
    if (this.tasks.has(id) || this.creating.has(id)) throw new AlreadyExistsError(`task ${id} already exists`);
    this.creating.add(id);
    try {
      const paths: StdioPaths = {
        stdin: request.stdin,
        stdout: request.stdout,
        stderr: request.stderr,
        terminal: request.terminal,
      };
      const container = await this.deps.preparer.prepare(id, bundle, request.rootfs);
      let init: ProcessRecord;
      try {
        init = await createProcess(this.deps, id, '', container, container.process, paths);
      } catch (error) {
        await container.release();
        throw error;
      }
      const task: TaskRecord = { id, bundle, container, init, execs: new Map(), oom: { limitHits: 0, kills: 0 } };
      this.tasks.set(id, task);
      this.deps.events.publish({
        topic: '/tasks/create',
        containerId: id,
        bundle,
        rootfs: request.rootfs,
        io: paths,
        pid: init.pid,
      });
      this.watchExit(task, init);
      // Every line carries the daemon's own pid; the task's (its guest thread's) is taskPid.
      init.log.info({ taskPid: init.pid, ...moduleFields(init) }, 'task created');
      return { pid: init.pid };
    } finally {
      this.creating.delete(id);
    }
  }

  async exec(request: ExecProcessRequest): Promise<void> {
    const task = this.taskOf(request.id);
    if (request.execId === '') throw new InvalidArgumentError(`exec in task ${request.id}: the exec id is empty`);
    if (task.execs.has(request.execId)) {
      throw new AlreadyExistsError(`exec ${request.execId} of task ${request.id} already exists`);
    }
    if (task.init.state !== 'running') {
      throw new FailedPreconditionError(`cannot exec in task ${request.id}: it is ${task.init.state}`);
    }
    if (request.specJson === undefined) {
      throw new InvalidArgumentError(`exec ${request.execId} of task ${request.id}: the request carries no process spec`);
    }
    const spec = parseProcessSpec(request.specJson, `exec ${request.execId} of task ${request.id}`);
    const paths: StdioPaths = {
      stdin: request.stdin,
      stdout: request.stdout,
      stderr: request.stderr,
      terminal: request.terminal,
    };
    const process = await createProcess(this.deps, request.id, request.execId, task.container, spec, paths);
    if (task.execs.has(request.execId)) {
      await this.discard(process);
      throw new AlreadyExistsError(`exec ${request.execId} of task ${request.id} already exists`);
    }
    task.execs.set(request.execId, process);
    this.deps.events.publish({ topic: '/tasks/exec-added', containerId: request.id, execId: request.execId });
    this.watchExit(task, process);
  }

  async start(ref: ProcessRef): Promise<{ pid: number }> {
    const process = this.processOf(ref);
    const initState = this.taskOf(ref.id).init.state;
    if (!process.isInit && initState === 'paused') {
      throw new FailedPreconditionError(`cannot start ${process.name}: task ${ref.id} is paused`);
    }
    process.move('start');
    try {
      await process.instance.start();
    } catch (error) {
      // The instance could not run: it ends as a failed process so that Wait returns.
      process.pendingExit = undefined;
      process.recordExit({ exitStatus: FAILED_TO_START_STATUS, exitedAt: this.clock() });
      throw error;
    }
    if (process.isInit) {
      this.deps.events.publish({ topic: '/tasks/start', containerId: process.containerId, pid: process.pid });
    } else {
      this.deps.events.publish({
        topic: '/tasks/exec-started',
        containerId: process.containerId,
        execId: process.execId,
        pid: process.pid,
      });
    }
    process.move('started');
    const early = process.pendingExit;
    if (early !== undefined) {
      process.pendingExit = undefined;
      this.finishExit(process, early);
    }
    return { pid: process.pid };
  }

  async kill(request: KillRequest): Promise<void> {
    const process = this.processOf(request);
    if (process.state === 'stopped' || process.state === 'deleting' || process.state === 'deleted') {
      throw new NotFoundError(`${process.name}: process already finished`);
    }
    const targets = request.all && process.isInit ? [process, ...this.taskOf(request.id).execs.values()] : [process];
    const disposition = signalDisposition(request.signal);
    if (disposition === 'ignore') return;
    if (disposition !== 'terminate') {
      throw new NotImplementedError(`${process.name}: signal ${request.signal} (${disposition}) is not supported for wasm tasks`);
    }
    const live = targets.filter((p) => p.isLive);
    await Promise.all(live.map((p) => p.instance.kill(request.signal)));
    // The guests are gone; their exits are recorded once what they had written has reached
    // the client (drainOutput). Answer after that, so a State right after Kill says stopped;
    // bounded, for a client that is there but reads slowly.
    await settledBy(Promise.all(live.map((p) => p.exited)), Date.now() + KILL_REPORTS_EXIT_WITHIN_MS);
  }

  async wait(ref: ProcessRef): Promise<ExitResult> {
    return this.processOf(ref).exited;
  }

  async delete(ref: ProcessRef): Promise<ExitInfo> {
    const task = this.taskOf(ref.id);
    const process = this.processOf(ref);
    if (process.isInit && process.state !== 'created' && process.state !== 'stopped') {
      throw new FailedPreconditionError(`cannot delete ${process.name}: it is ${process.state}`);
    }
    const neverStarted = process.state === 'created';
    process.move('delete');
    if (neverStarted) {
      await process.instance.kill(9);
    }
    await this.discard(process);
    process.move('deleted');
    const info: ExitInfo = {
      pid: process.pid,
      exitStatus: process.exit?.exitStatus ?? 0,
      exitedAt: process.exit?.exitedAt,
    };
    if (process.isInit) {
      for (const exec of task.execs.values()) await this.discard(exec);
      await task.container.release();
      if (isPodSandbox(task.container.annotations) && task.container.cgroupsPath !== undefined) await this.deps.cgroups?.leave();
      this.tasks.delete(task.id);
      this.deps.events.publish({
        topic: '/tasks/delete',
        containerId: task.id,
        id: '',
        pid: info.pid,
        exitStatus: info.exitStatus,
        exitedAt: info.exitedAt,
      });
      process.log.info('task deleted');
    } else {
      task.execs.delete(process.execId);
    }
    return info;
  }

  async state(ref: ProcessRef): Promise<StateResponse> {
    const task = this.taskOf(ref.id);
    const process = this.processOf(ref);
    return {
      id: process.isInit ? task.id : process.execId,
      bundle: task.bundle,
      pid: process.pid,
      status: process.status,
      stdin: process.paths.stdin,
      stdout: process.paths.stdout,
      stderr: process.paths.stderr,
      terminal: process.paths.terminal,
      exitStatus: process.exit?.exitStatus ?? 0,
      exitedAt: process.exit?.exitedAt,
      execId: process.execId,
    };
  }

  async pids(id: string): Promise<ProcessInfo[]> {
    const task = this.taskOf(id);
    return [task.init, ...task.execs.values()].map((p) => ({ pid: p.pid, execId: p.execId }));
  }

  async connect(id: string): Promise<ConnectResponse> {
    const task = this.tasks.get(id);
    return { shimPid: this.deps.shimPid, taskPid: task?.init.pid ?? 0, version: SHIM_VERSION_LABEL };
  }

  async closeIO(request: CloseIORequest): Promise<void> {
    const process = this.processOf(request);
    if (request.stdin && process.isLive) {
      await process.instance.closeStdin();
    }
  }

  async resizePty(request: ResizePtyRequest): Promise<void> {
    const process = this.processOf(request);
    process.stdio.terminal?.resize(request.width, request.height);
  }

  async pause(id: string): Promise<void> {
    const task = this.taskOf(id);
    await pauseTask(task, this.deps.events);
    task.init.log.info('task paused');
  }

  async resume(id: string): Promise<void> {
    const task = this.taskOf(id);
    await resumeTask(task, this.deps.events);
    task.init.log.info('task resumed');
  }

  /** UpdateTaskRequest: `resourcesJson` is OCI LinuxResources; only memory.limit applies to wasm guests. */
  async update(id: string, resourcesJson: string | undefined): Promise<void> {
    const task = this.taskOf(id);
    if (resourcesJson === undefined) return;
    const limit = memoryLimitOf(resourcesJson, `update task ${id}`);
    if (limit === undefined) return;
    await updateMemoryLimit(task, limit);
    task.init.log.info({ memoryLimitBytes: limit }, 'task memory limit updated');
  }

  async stats(id: string): Promise<TaskStats> {
    return taskStats(this.taskOf(id));
  }

  /** Whether the daemon may exit: true once no task remains. */
  async shutdown(): Promise<boolean> {
    return this.taskCount === 0;
  }

  /** Every live process, for a daemon that is going away. */
  async killAll(signal: number): Promise<void> {
    const all = [...this.tasks.values()].flatMap((t) => [t.init, ...t.execs.values()]);
    await Promise.all(
      all
        .filter((p) => p.isLive)
        .map((p) => p.instance.kill(signal)),
    );
  }

  private watchExit(task: TaskRecord, process: ProcessRecord): void {
    void process.instance.wait().then(async (result) => {
      // What a killed guest last wrote, or what a terminal relays, reaches the client before the exit.
      await process.stdio.drainOutput?.(result.outputDrained === true);
      if (process.isInit) {
        // The init's exit is the task's last: end the execs first, as a pid namespace would.
        const running = [...task.execs.values()].filter((e) => e.state !== 'stopped' && e.state !== 'deleted');
        await Promise.all(running.map((e) => e.instance.kill(9)));
        await Promise.all(running.map((e) => e.exited));
      }
      if (process.state === 'starting') {
        process.pendingExit = result;
        return;
      }
      if (process.state === 'stopped' || process.state === 'deleted' || process.state === 'deleting') return;
      this.finishExit(process, result);
    });
  }

  private finishExit(process: ProcessRecord, result: ExitResult): void {
    process.recordExit(result);
    const task = this.tasks.get(process.containerId);
    if (task !== undefined) task.oom.limitHits += result.growRefused ?? 0;
    if (result.outOfMemory === true) {
      // As the kernel's OOM killer would be: containerd and CRI (OOMKilled) learn it from /tasks/oom.
      if (task !== undefined) task.oom.kills++;
      this.deps.events.publish({ topic: '/tasks/oom', containerId: process.containerId });
      process.log.warn('guest ran out of memory at its limit');
    }
    this.deps.events.publish({
      topic: '/tasks/exit',
      containerId: process.containerId,
      id: process.isInit ? process.containerId : process.execId,
      pid: process.pid,
      exitStatus: result.exitStatus,
      exitedAt: result.exitedAt,
    });
    process.log.info({ exitStatus: result.exitStatus }, 'process exited');
    void process.stdio.close();
  }

  private async discard(process: ProcessRecord): Promise<void> {
    await process.instance.delete();
    await process.stdio.close();
  }

  private taskOf(id: string): TaskRecord {
    const task = this.tasks.get(id);
    if (task === undefined) throw new NotFoundError(`task ${id} not found`);
    return task;
  }

  private processOf(ref: ProcessRef): ProcessRecord {
    const task = this.taskOf(ref.id);
    if (ref.execId === '') return task.init;
    const exec = task.execs.get(ref.execId);
    if (exec === undefined) throw new NotFoundError(`exec ${ref.execId} of task ${ref.id} not found`);
    return exec;
  }
}

/** What the log says of a process's module: its digest, and whether the daemon had it compiled already. */
function moduleFields(process: ProcessRecord): Record<string, string> {
  const module = process.instance.module;
  return module === undefined ? {} : { module: module.digest, compileCache: module.cached ? 'hit' : 'miss' };
}
