import { describe, expect, it } from 'vitest';
import { createRequest, harness, settle } from './stub-engine.js';

const init = { id: 'web', execId: '' };

async function running() {
  const h = harness();
  await h.service.create(createRequest('web'));
  await h.service.start(init);
  return h;
}

describe('TaskService memory limit and out of memory', () => {
  it('applies a memory limit from Update (OCI LinuxResources JSON) to the running guest', async () => {
    const { service, engine } = await running();
    await service.update('web', JSON.stringify({ memory: { limit: 32 * 1024 * 1024 } }));
    expect(engine.instances[0]!.memoryLimit).toBe(32 * 1024 * 1024);
    expect((await service.stats('web')).memoryLimitBytes).toBe(32 * 1024 * 1024);
  });

  it('lifts the limit on memory.limit -1, as for a cgroup', async () => {
    const { service, engine } = await running();
    await service.update('web', JSON.stringify({ memory: { limit: 1024 * 1024 } }));
    await service.update('web', JSON.stringify({ memory: { limit: -1 } }));
    expect(engine.instances[0]!.memoryLimit).toBeUndefined();
    expect((await service.stats('web')).memoryLimitBytes).toBeUndefined();
  });

  it('accepts resources without a memory limit and changes nothing', async () => {
    const { service, engine } = await running();
    await service.update('web', JSON.stringify({ cpu: { shares: 2 } }));
    expect(engine.instances[0]!.memoryLimit).toBeUndefined();
  });

  it('refuses resources that are not JSON', async () => {
    const { service } = await running();
    await expect(service.update('web', '{nope')).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });

  it('publishes /tasks/oom before /tasks/exit for a guest that ran out of memory, and counts it', async () => {
    const { service, engine, events } = await running();
    const instance = engine.instances[0]!;
    instance.stats_ = { ...instance.stats_, growRefused: 2 };
    instance.end({ exitStatus: 137, exitedAt: new Date(), outOfMemory: true, growRefused: 2 });
    await settle();
    const topics = events.map((e) => e.topic);
    expect(topics.slice(-2)).toEqual(['/tasks/oom', '/tasks/exit']);
    expect(await service.state(init)).toMatchObject({ exitStatus: 137 });
    const stats = await service.stats('web');
    expect(stats).toMatchObject({ oomKills: 1, limitHits: 2 });
  });
});
