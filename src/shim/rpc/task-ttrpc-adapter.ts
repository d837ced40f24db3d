/**
 * Serves the task service over ttrpc as `containerd.task.v2.Task` and
 * `containerd.task.v3.Task` (their messages are identical). This is the one
 * place that decodes requests, encodes responses and turns a thrown error into
 * a wire status.
 */
import { containerd } from '../../generated/index.js';
import { describeError, type ErrorCode, InvalidArgumentError, WasmtsError } from '../../errors.js';
import type { Logger } from '../../task/collaborators.js';
import type { TaskService } from '../../task/task-service.js';
import { StatusCode, TtrpcStatusError, type RequestContext, type TtrpcServer } from '../../ttrpc/index.js';
import { isPodContainer, readStartSpec } from '../../oci/bundle-spec.js';
import { NativeProgramError } from '../../oci/module-kind.js';
import { OwnNetworkRequiredError } from '../../task/network-admission.js';
import { requestId, type ShimDelegates } from './shim-delegates.js';
import { encodeMetrics, hostCgroupMode } from './task-metrics.js';
import { mountsFrom, optionalTimestamp, toTimestamp } from './wire-convert.js';

const v2 = containerd.task.v2;

export const TASK_SERVICES = ['containerd.task.v2.Task', 'containerd.task.v3.Task'] as const;

/** containerd's type URL for OCI LinuxResources in an UpdateTaskRequest (JSON inside the Any). */
const LINUX_RESOURCES_TYPE_SUFFIX = 'opencontainers/runtime-spec/1/LinuxResources';

/** containerd's type URL for an OCI Process in an ExecProcessRequest (JSON inside the Any). */
const OCI_PROCESS_TYPE = 'types.containerd.io/opencontainers/runtime-spec/1/Process';

/** A Task method: the request's bytes (and which service it came in on) to the response's. */
type Handler = (payload: Uint8Array, context: Pick<RequestContext, 'service'>) => Promise<Uint8Array>;

const EMPTY = new Uint8Array(0);

function ref(request: { id?: string | null; execId?: string | null }) {
  return { id: request.id ?? '', execId: request.execId ?? '' };
}

/** Takes a CreateTaskRequest's runtime options (containerd's `options` for the runtime); throws when they are wrong. */
export type RuntimeOptionsHook = (options: { typeUrl?: string | null; value?: Uint8Array | null } | null | undefined) => void;

export function taskHandlers(service: TaskService, onShutdown: () => void, delegates?: ShimDelegates, onRuntimeOptions?: RuntimeOptionsHook): Record<string, Handler> {
  const cgroupMode = hostCgroupMode();
  return {
    async Create(payload, context) {
      const r = decode(v2.CreateTaskRequest, payload);
      onRuntimeOptions?.(r.options);
      try {
        const { pid } = await service.create({
          id: r.id,
          bundle: r.bundle,
          rootfs: mountsFrom(r.rootfs),
          terminal: r.terminal,
          stdin: r.stdin,
          stdout: r.stdout,
          stderr: r.stderr,
          checkpoint: r.checkpoint,
          parentCheckpoint: r.parentCheckpoint,
        });
        return v2.CreateTaskResponse.encode({ pid }).finish();
      } catch (error) {
        // A Linux program in a wasm pod (a sidecar, an init container): runc runs it.
        if (delegates !== undefined && error instanceof NativeProgramError && isPodContainer(readStartSpec(r.bundle, r.id).annotations)) {
          return delegates.create('runc', r.id, r.bundle, context.service, payload);
        }
        // A guest that needs a network of its own, met by a namespace's shared daemon: a daemon of its own runs it.
        if (delegates !== undefined && error instanceof OwnNetworkRequiredError) {
          return delegates.create('wasmts', r.id, r.bundle, context.service, payload);
        }
        throw error;
      }
    },
    async Start(payload) {
      const { pid } = await service.start(ref(decode(v2.StartRequest, payload)));
      return v2.StartResponse.encode({ pid }).finish();
    },
    async Delete(payload) {
      const info = await service.delete(ref(decode(v2.DeleteRequest, payload)));
      return v2.DeleteResponse.encode({
        pid: info.pid,
        exitStatus: info.exitStatus,
        exitedAt: optionalTimestamp(info.exitedAt),
      }).finish();
    },
    async State(payload) {
      const s = await service.state(ref(decode(v2.StateRequest, payload)));
      return v2.StateResponse.encode({ ...s, exitedAt: optionalTimestamp(s.exitedAt) }).finish();
    },
    async Wait(payload) {
      const exit = await service.wait(ref(decode(v2.WaitRequest, payload)));
      return v2.WaitResponse.encode({ exitStatus: exit.exitStatus, exitedAt: toTimestamp(exit.exitedAt) }).finish();
    },
    async Kill(payload) {
      const r = decode(v2.KillRequest, payload);
      await service.kill({ ...ref(r), signal: r.signal, all: r.all });
      return EMPTY;
    },
    async Exec(payload) {
      const r = decode(v2.ExecProcessRequest, payload);
      const spec = r.spec;
      if (spec && spec.typeUrl !== '' && spec.typeUrl !== OCI_PROCESS_TYPE) {
        throw new TtrpcStatusError(StatusCode.INVALID_ARGUMENT, `exec ${r.execId}: unexpected spec type ${spec.typeUrl}`);
      }
      await service.exec({
        ...ref(r),
        terminal: r.terminal,
        stdin: r.stdin,
        stdout: r.stdout,
        stderr: r.stderr,
        specJson: spec?.value ? Buffer.from(spec.value).toString('utf8') : undefined,
      });
      return EMPTY;
    },
    async Pids(payload) {
      const r = decode(v2.PidsRequest, payload);
      const processes = await service.pids(r.id);
      return v2.PidsResponse.encode({
        processes: processes.map((p) => ({
          pid: p.pid,
          ...(p.execId !== ''
            ? {
                info: {
                  typeUrl: 'containerd.runc.v1.ProcessDetails',
                  value: containerd.runc.v1.ProcessDetails.encode({ execId: p.execId }).finish(),
                },
              }
            : {}),
        })),
      }).finish();
    },
    async Connect(payload) {
      const r = decode(v2.ConnectRequest, payload);
      return v2.ConnectResponse.encode(await service.connect(r.id)).finish();
    },
    async CloseIO(payload) {
      const r = decode(v2.CloseIORequest, payload);
      await service.closeIO({ ...ref(r), stdin: r.stdin });
      return EMPTY;
    },
    async ResizePty(payload) {
      const r = decode(v2.ResizePtyRequest, payload);
      await service.resizePty({ ...ref(r), width: r.width, height: r.height });
      return EMPTY;
    },
    async Shutdown(payload) {
      decode(v2.ShutdownRequest, payload);
      // The daemon stays while it passes calls through for a Linux container of its pod.
      if ((await service.shutdown()) && (delegates?.count ?? 0) === 0) onShutdown();
      return EMPTY;
    },
    async Pause(payload) {
      await service.pause(decode(v2.PauseRequest, payload).id);
      return EMPTY;
    },
    async Resume(payload) {
      await service.resume(decode(v2.ResumeRequest, payload).id);
      return EMPTY;
    },
    async Checkpoint(payload) {
      const r = decode(v2.CheckpointTaskRequest, payload);
      throw unsupported(`checkpoint task ${r.id}: checkpointing wasm tasks is not supported`);
    },
    async Update(payload) {
      const r = decode(v2.UpdateTaskRequest, payload);
      const resources = r.resources;
      if (resources?.typeUrl && !resources.typeUrl.endsWith(LINUX_RESOURCES_TYPE_SUFFIX)) {
        throw new InvalidArgumentError(`update task ${r.id}: resources of type ${resources.typeUrl}; expected OCI LinuxResources`);
      }
      await service.update(r.id, resources?.value?.length ? Buffer.from(resources.value).toString('utf8') : undefined);
      return EMPTY;
    },
    async Stats(payload) {
      const stats = await service.stats(decode(v2.StatsRequest, payload).id);
      return v2.StatsResponse.encode({ stats: encodeMetrics(stats, cgroupMode) }).finish();
    },
  };
}

/** Decodes a request; malformed bytes are the caller's error, not ours. */
function decode<T>(codec: { decode(bytes: Uint8Array): T; name?: string }, payload: Uint8Array): T {
  try {
    return codec.decode(payload);
  } catch (error) {
    const what = (codec as { name?: string }).name ?? 'request';
    throw new InvalidArgumentError(`malformed ${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function unsupported(message: string): TtrpcStatusError {
  return new TtrpcStatusError(StatusCode.UNIMPLEMENTED, message);
}

/** Passes the calls for a container the runc shim runs straight through to it. */
function routed(method: string, handler: Handler, delegates: ShimDelegates | undefined): Handler {
  if (delegates === undefined || method === 'Create') return handler;
  return async (payload, context) => {
    const id = delegates.count > 0 ? safeRequestId(payload) : undefined;
    if (id !== undefined && delegates.has(id)) return delegates.forward(id, context.service, method, payload);
    return handler(payload, context);
  };
}

function safeRequestId(payload: Uint8Array): string | undefined {
  try {
    return requestId(payload);
  } catch {
    return undefined; // malformed: our own handler says so
  }
}

/** Wraps each handler so every error leaves as a ttrpc status, logged once. */
function withStatus(name: string, handler: Handler, logger: Logger): Handler {
  return async (payload, context) => {
    const started = performance.now();
    try {
      const reply = await handler(payload, context);
      logger.debug({ rpc: name, ms: Math.round((performance.now() - started) * 10) / 10 }, 'rpc done');
      return reply;
    } catch (error) {
      if (error instanceof TtrpcStatusError) {
        logger.info({ rpc: name, code: error.code, err: error.message }, 'rpc refused');
        throw error;
      }
      if (error instanceof WasmtsError) {
        logger.info({ rpc: name, code: error.code, err: describeError(error) }, 'rpc failed');
        throw new TtrpcStatusError(WIRE_STATUS[error.code], describeError(error));
      }
      logger.error({ rpc: name, err: error }, 'rpc failed unexpectedly');
      const message = error instanceof Error ? `${name}: ${describeError(error)}` : `${name}: ${String(error)}`;
      throw new TtrpcStatusError(StatusCode.INTERNAL, message);
    }
  };
}

/** The one mapping from our error codes to the gRPC statuses containerd turns back into its errdefs. */
export const WIRE_STATUS: Record<ErrorCode, StatusCode> = {
  ERR_NOT_FOUND: StatusCode.NOT_FOUND,
  ERR_ALREADY_EXISTS: StatusCode.ALREADY_EXISTS,
  ERR_INVALID_ARGUMENT: StatusCode.INVALID_ARGUMENT,
  ERR_FAILED_PRECONDITION: StatusCode.FAILED_PRECONDITION,
  ERR_NOT_IMPLEMENTED: StatusCode.UNIMPLEMENTED,
  ERR_RESOURCE_EXHAUSTED: StatusCode.RESOURCE_EXHAUSTED,
  ERR_UNAVAILABLE: StatusCode.UNAVAILABLE,
  ERR_INTERNAL: StatusCode.INTERNAL,
};

export function registerTaskService(
  server: TtrpcServer,
  service: TaskService,
  logger: Logger,
  onShutdown: () => void,
  delegates?: ShimDelegates,
  onRuntimeOptions?: RuntimeOptionsHook,
): void {
  const handlers = taskHandlers(service, onShutdown, delegates, onRuntimeOptions);
  const wrapped = Object.fromEntries(
    Object.entries(handlers).map(([name, handler]) => [name, withStatus(name, routed(name, handler, delegates), logger)]),
  );
  for (const name of TASK_SERVICES) server.register(name, wrapped);
}
