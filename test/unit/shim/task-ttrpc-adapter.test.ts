import type { Logger } from '../../../src/task/collaborators.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { containerd } from '../../../src/generated/index.js';
import { registerTaskService } from '../../../src/shim/rpc/task-ttrpc-adapter.js';
import { TtrpcClient, TtrpcServer } from '../../../src/ttrpc/index.js';
import { createRequest, harness } from '../task/stub-engine.js';

const v2 = containerd.task.v2;
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

let dir: string;
let client: TtrpcClient;
let server: TtrpcServer;
let shutdowns: number;
let world: ReturnType<typeof harness>;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wasmts-adapter-'));
  const path = join(dir, 'shim.sock');
  world = harness();
  shutdowns = 0;
  server = new TtrpcServer();
  registerTaskService(server, world.service, silent, () => shutdowns++);
  const listener = createServer();
  server.listen(listener);
  await new Promise<void>((resolve) => listener.listen(path, () => resolve()));
  client = await TtrpcClient.connect(path);
});

afterEach(async () => {
  await client.close();
  await server.shutdown();
  await rm(dir, { recursive: true, force: true });
});

const call = (service: string, method: string, payload: Uint8Array) => client.call(service, method, payload);

describe('the Task service over ttrpc', () => {
  it('answers Create on both containerd.task.v2.Task and containerd.task.v3.Task', async () => {
    const create = (id: string) => v2.CreateTaskRequest.encode(createRequest(id)).finish();
    const a = v2.CreateTaskResponse.decode(await call('containerd.task.v2.Task', 'Create', create('a')));
    const b = v2.CreateTaskResponse.decode(await call('containerd.task.v3.Task', 'Create', create('b')));
    expect(a.pid).toBeGreaterThan(0);
    expect(b.pid).toBe(a.pid + 1);
  });

  it('turns a typed error into its status code and message', async () => {
    await expect(
      call('containerd.task.v2.Task', 'State', v2.StateRequest.encode({ id: 'ghost' }).finish()),
    ).rejects.toMatchObject({ code: 5, message: 'task ghost not found' });
  });

  it('answers malformed request bytes with INVALID_ARGUMENT', async () => {
    await expect(call('containerd.task.v2.Task', 'State', Uint8Array.from([0x0a, 0x05, 0x61]))).rejects.toMatchObject({
      code: 3,
    });
  });

  it('answers an unsupported RPC with UNIMPLEMENTED naming what is not supported', async () => {
    const error = await call('containerd.task.v2.Task', 'Checkpoint', v2.CheckpointTaskRequest.encode({ id: 'a' }).finish()).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 12 });
    expect((error as Error).message).toContain('checkpointing wasm tasks is not supported');
  });

  it('reports a task STOPPED with its exit status in State after the guest ends', async () => {
    await call('containerd.task.v2.Task', 'Create', v2.CreateTaskRequest.encode(createRequest('a')).finish());
    await call('containerd.task.v2.Task', 'Start', v2.StartRequest.encode({ id: 'a' }).finish());
    world.engine.instances[0]!.finish(42);
    const wait = v2.WaitResponse.decode(await call('containerd.task.v2.Task', 'Wait', v2.WaitRequest.encode({ id: 'a' }).finish()));
    expect(wait.exitStatus).toBe(42);
    const state = v2.StateResponse.decode(await call('containerd.task.v2.Task', 'State', v2.StateRequest.encode({ id: 'a' }).finish()));
    expect(state.status).toBe(containerd.v1.types.Status.STOPPED);
    expect(state.exitStatus).toBe(42);
  });

  it('asks the daemon to exit on Shutdown only once no task remains', async () => {
    await call('containerd.task.v2.Task', 'Create', v2.CreateTaskRequest.encode(createRequest('a')).finish());
    await call('containerd.task.v2.Task', 'Shutdown', v2.ShutdownRequest.encode({ id: 'a' }).finish());
    expect(shutdowns).toBe(0);
    await call('containerd.task.v2.Task', 'Delete', v2.DeleteRequest.encode({ id: 'a' }).finish());
    await call('containerd.task.v2.Task', 'Shutdown', v2.ShutdownRequest.encode({ id: 'a' }).finish());
    expect(shutdowns).toBe(1);
  });
});
