import { describe, expect, it } from 'vitest';
import { createRequest, harness, settle } from './stub-engine.js';

const init = (id: string) => ({ id, execId: '' });

describe('TaskService', () => {
  it('creates a task from the bundle spec and publishes /tasks/create with its pid', async () => {
    const { service, engine, events } = harness();
    const { pid } = await service.create(createRequest('web'));
    expect(pid).toBe(1000);
    expect(engine.instances[0]?.config).toMatchObject({ args: ['/app.wasm', 'a1'], env: ['A=1'], id: 'web' });
    expect(events).toEqual([expect.objectContaining({ topic: '/tasks/create', containerId: 'web', pid: 1000 })]);
  });

  it('refuses a second task with the same id', async () => {
    const { service } = harness();
    await service.create(createRequest('web'));
    await expect(service.create(createRequest('web'))).rejects.toMatchObject({ code: 'ERR_ALREADY_EXISTS' });
  });

  it('releases the rootfs when the engine rejects the module', async () => {
    const { service, engine, released } = harness();
    engine.failWith = new Error('bad module');
    await expect(service.create(createRequest('web'))).rejects.toThrow('bad module');
    expect(released).toEqual(['/bundles/web']);
    expect(service.taskCount).toBe(0);
  });

  it('publishes /tasks/exit only after /tasks/start even when the guest ends at once', async () => {
    const { service, engine, events } = harness();
    await service.create(createRequest('web'));
    const instance = engine.instances[0]!;
    instance.start = async () => {
      instance.finish(3);
      await settle();
    };
    await service.start(init('web'));
    await settle();
    expect(events.map((e) => e.topic)).toEqual(['/tasks/create', '/tasks/start', '/tasks/exit']);
    expect(events[2]).toMatchObject({ exitStatus: 3, containerId: 'web', id: 'web', pid: 1000 });
  });

  it('answers every Wait, including one that arrived before Start', async () => {
    const { service, engine } = harness();
    await service.create(createRequest('web'));
    const early = service.wait(init('web'));
    await service.start(init('web'));
    const late = service.wait(init('web'));
    engine.instances[0]!.finish(42);
    await expect(early).resolves.toMatchObject({ exitStatus: 42 });
    await expect(late).resolves.toMatchObject({ exitStatus: 42 });
  });

  it('reports RUNNING then STOPPED with the exit status in State', async () => {
    const { service, engine } = harness();
    await service.create(createRequest('web'));
    expect((await service.state(init('web'))).status).toBe(1);
    await service.start(init('web'));
    expect((await service.state(init('web'))).status).toBe(2);
    engine.instances[0]!.finish(1);
    await settle();
    expect(await service.state(init('web'))).toMatchObject({ status: 3, exitStatus: 1, pid: 1000 });
  });

  it('kills a running guest with 128 plus the signal', async () => {
    const { service, engine } = harness();
    await service.create(createRequest('web'));
    await service.start(init('web'));
    await service.kill({ ...init('web'), signal: 15, all: false });
    await expect(service.wait(init('web'))).resolves.toMatchObject({ exitStatus: 143 });
    expect(engine.instances[0]!.killedWith).toBe(15);
  });

  it('answers Kill of a finished process with NotFound', async () => {
    const { service, engine } = harness();
    await service.create(createRequest('web'));
    await service.start(init('web'));
    engine.instances[0]!.finish(0);
    await settle();
    await expect(service.kill({ ...init('web'), signal: 9, all: false })).rejects.toMatchObject({
      code: 'ERR_NOT_FOUND',
    });
  });

  it('refuses to delete a running task and names its state', async () => {
    const { service } = harness();
    await service.create(createRequest('web'));
    await service.start(init('web'));
    await expect(service.delete(init('web'))).rejects.toThrow('cannot delete task web: it is running');
  });

  it('deletes a stopped task, releases its rootfs and publishes /tasks/delete', async () => {
    const { service, engine, events, released } = harness();
    await service.create(createRequest('web'));
    await service.start(init('web'));
    engine.instances[0]!.finish(7);
    await settle();
    const info = await service.delete(init('web'));
    expect(info).toMatchObject({ pid: 1000, exitStatus: 7 });
    expect(released).toEqual(['/bundles/web']);
    expect(events.at(-1)).toMatchObject({ topic: '/tasks/delete', containerId: 'web', exitStatus: 7 });
    await expect(service.state(init('web'))).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    expect(await service.shutdown()).toBe(true);
  });

  it('keeps the daemon alive on Shutdown while a task remains', async () => {
    const { service } = harness();
    await service.create(createRequest('web'));
    expect(await service.shutdown()).toBe(false);
  });

  it('refuses to start a task twice', async () => {
    const { service } = harness();
    await service.create(createRequest('web'));
    await service.start(init('web'));
    await expect(service.start(init('web'))).rejects.toThrow('cannot start task web: it is running');
  });

  it('runs an exec beside the init and reports its exit with the exec id', async () => {
    const { service, engine, events } = harness();
    await service.create(createRequest('web'));
    await service.start(init('web'));
    await service.exec({
      id: 'web',
      execId: 'e1',
      terminal: false,
      stdin: '',
      stdout: '',
      stderr: '',
      specJson: JSON.stringify({ args: ['/tool.wasm', 'x'], cwd: '/' }),
    });
    await service.start({ id: 'web', execId: 'e1' });
    engine.instances[1]!.finish(3);
    await expect(service.wait({ id: 'web', execId: 'e1' })).resolves.toMatchObject({ exitStatus: 3 });
    await settle();
    expect(events.map((e) => e.topic)).toEqual([
      '/tasks/create',
      '/tasks/start',
      '/tasks/exec-added',
      '/tasks/exec-started',
      '/tasks/exit',
    ]);
    expect(events[4]).toMatchObject({ id: 'e1', exitStatus: 3 });
  });

  it('lists the init and its execs in Pids', async () => {
    const { service } = harness();
    await service.create(createRequest('web'));
    expect(await service.pids('web')).toEqual([{ pid: 1000, execId: '' }]);
  });
});
