import { describe, expect, it } from 'vitest';
import { createRequest, harness, settle } from './stub-engine.js';

describe('TaskService CloseIO', () => {
  it("gives a running guest end of file on stdin", async () => {
    const { service, engine } = harness();
    await service.create(createRequest('web'));
    await service.start({ id: 'web', execId: '' });
    await service.closeIO({ id: 'web', execId: '', stdin: true });
    expect(engine.instances[0]!.stdinClosed).toBe(true);
  });

  it('accepts CloseIO after the process has exited, as ctr sends it', async () => {
    const { service, engine } = harness();
    await service.create(createRequest('web'));
    await service.start({ id: 'web', execId: '' });
    engine.instances[0]!.finish(0);
    await settle();
    await expect(service.closeIO({ id: 'web', execId: '', stdin: true })).resolves.toBeUndefined();
    expect(engine.instances[0]!.stdinClosed).toBe(false);
  });
});
