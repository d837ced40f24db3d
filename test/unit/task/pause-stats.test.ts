import { describe, expect, it } from 'vitest';
import { createRequest, harness, settle } from './stub-engine.js';

const init = { id: 'web', execId: '' };

async function runningTaskWithExec() {
  const h = harness();
  await h.service.create(createRequest('web'));
  await h.service.start(init);
  await h.service.exec({ id: 'web', execId: 'e1', terminal: false, stdin: '', stdout: '', stderr: '', specJson: '{"args":["/t.wasm"]}' });
  await h.service.start({ id: 'web', execId: 'e1' });
  return h;
}

describe('TaskService pause, resume and stats', () => {
  it('pauses the init and every exec, reports PAUSED and publishes /tasks/paused', async () => {
    const { service, engine, events } = await runningTaskWithExec();
    await service.pause('web');
    expect(engine.instances.map((i) => i.paused)).toEqual([true, true]);
    expect((await service.state(init)).status).toBe(4);
    expect((await service.state({ id: 'web', execId: 'e1' })).status).toBe(4);
    expect(events.at(-1)).toEqual({ topic: '/tasks/paused', containerId: 'web' });
  });

  it('resumes where it paused, reports RUNNING and publishes /tasks/resumed', async () => {
    const { service, engine, events } = await runningTaskWithExec();
    await service.pause('web');
    await service.resume('web');
    expect(engine.instances.map((i) => i.paused)).toEqual([false, false]);
    expect((await service.state(init)).status).toBe(2);
    expect(events.at(-1)).toEqual({ topic: '/tasks/resumed', containerId: 'web' });
  });

  it('refuses to pause a task that is not running and to resume one that is not paused', async () => {
    const { service } = harness();
    await service.create(createRequest('web'));
    await expect(service.pause('web')).rejects.toThrow('cannot pause task web: it is created');
    await expect(service.resume('web')).rejects.toMatchObject({ code: 'ERR_FAILED_PRECONDITION' });
  });

  it('kills a paused task and reports its exit', async () => {
    const { service } = await runningTaskWithExec();
    await service.pause('web');
    await service.kill({ ...init, signal: 9, all: false });
    await settle();
    await expect(service.wait(init)).resolves.toMatchObject({ exitStatus: 137 });
  });

  it('refuses an exec in a paused task', async () => {
    const { service } = await runningTaskWithExec();
    await service.pause('web');
    await expect(
      service.exec({ id: 'web', execId: 'e2', terminal: false, stdin: '', stdout: '', stderr: '', specJson: '{"args":["/t.wasm"]}' }),
    ).rejects.toThrow('it is paused');
  });

  it('adds up the memory and CPU of the init and its execs', async () => {
    const { service } = await runningTaskWithExec();
    const stats = await service.stats('web');
    expect(stats).toMatchObject({ linearMemoryBytes: 131_072, engineHeapBytes: 2_000, cpuTotalNs: 30, processes: 2 });
  });
});
