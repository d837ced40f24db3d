import { describe, expect, it } from 'vitest';
import { createRequest, harness, settle } from './stub-engine.js';

const spec = (args: string[]) => JSON.stringify({ args, env: [], cwd: '/' });
const execRequest = (execId: string, args = ['/tool.wasm']) => ({
  id: 'web',
  execId,
  terminal: false,
  stdin: '',
  stdout: '/fifo/e-stdout',
  stderr: '',
  specJson: spec(args),
});

async function runningTask() {
  const h = harness();
  await h.service.create(createRequest('web'));
  await h.service.start({ id: 'web', execId: '' });
  return h;
}

describe('TaskService exec', () => {
  it('refuses a duplicate exec id with AlreadyExists', async () => {
    const { service } = await runningTask();
    await service.exec(execRequest('e1'));
    await expect(service.exec(execRequest('e1'))).rejects.toMatchObject({ code: 'ERR_ALREADY_EXISTS' });
  });

  it('reports an exec as CREATED with its own id in State before it starts', async () => {
    const { service } = await runningTask();
    await service.exec(execRequest('e1'));
    expect(await service.state({ id: 'web', execId: 'e1' })).toMatchObject({ id: 'e1', execId: 'e1', status: 1 });
  });

  it('kills only the exec named by Kill and leaves the init running', async () => {
    const { service, engine } = await runningTask();
    await service.exec(execRequest('e1'));
    await service.start({ id: 'web', execId: 'e1' });
    await service.kill({ id: 'web', execId: 'e1', signal: 9, all: false });
    await expect(service.wait({ id: 'web', execId: 'e1' })).resolves.toMatchObject({ exitStatus: 137 });
    expect(engine.instances[0]!.killedWith).toBeUndefined();
    expect((await service.state({ id: 'web', execId: '' })).status).toBe(2);
  });

  it('deletes a finished exec without publishing /tasks/delete and forgets it', async () => {
    const { service, engine, events } = await runningTask();
    await service.exec(execRequest('e1'));
    await service.start({ id: 'web', execId: 'e1' });
    engine.instances[1]!.finish(4);
    await settle();
    await expect(service.delete({ id: 'web', execId: 'e1' })).resolves.toMatchObject({ exitStatus: 4 });
    expect(events.map((e) => e.topic)).not.toContain('/tasks/delete');
    await expect(service.state({ id: 'web', execId: 'e1' })).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
  });

  it('ends running execs before it reports the exit of the init', async () => {
    const { service, engine, events } = await runningTask();
    await service.exec(execRequest('e1'));
    await service.start({ id: 'web', execId: 'e1' });
    engine.instances[0]!.finish(0);
    await settle();
    await settle();
    const exits = events.filter((e) => e.topic === '/tasks/exit').map((e) => (e as { id: string }).id);
    expect(exits).toEqual(['e1', 'web']);
  });

  it('refuses an exec in a task that is not running', async () => {
    const { service } = harness();
    await service.create(createRequest('web'));
    await expect(service.exec(execRequest('e1'))).rejects.toMatchObject({ code: 'ERR_FAILED_PRECONDITION' });
  });
});
