import { describe, expect, it } from 'vitest';
import { SandboxInstance } from '../../../src/instance/sandbox-instance.js';

const at = new Date(1_700_000_000_000);

function sandbox() {
  const closed: number[] = [];
  const instance = new SandboxInstance({
    pid: 77,
    stdio: { stdout: 5, stderr: 6 },
    clock: () => at,
    closeFd: (fd) => closed.push(fd),
  });
  return { instance, closed };
}

describe('SandboxInstance', () => {
  it('keeps running after start until it is signalled', async () => {
    const { instance } = sandbox();
    await instance.start();
    const outcome = await Promise.race([instance.wait(), new Promise((resolve) => setTimeout(() => resolve('running'), 20))]);
    expect(outcome).toBe('running');
    expect(instance.pid).toBe(77);
  });

  it.each([
    [15, 0],
    [2, 0],
    [9, 137],
    [1, 129],
  ])('ends with status %i → %i', async (signal, status) => {
    const { instance } = sandbox();
    await instance.start();
    await instance.kill(signal);
    await expect(instance.wait()).resolves.toEqual({ exitStatus: status, exitedAt: at });
  });

  it('holds its stdio until it ends, then closes each fd once', async () => {
    const { instance, closed } = sandbox();
    await instance.start();
    expect(closed).toEqual([]);
    await instance.kill(15);
    await instance.kill(9);
    await instance.delete();
    expect(closed).toEqual([5, 6]);
    await expect(instance.wait()).resolves.toMatchObject({ exitStatus: 0 });
  });

  it('reports no memory or CPU use', async () => {
    const { instance } = sandbox();
    await expect(instance.stats()).resolves.toMatchObject({ linearMemoryBytes: 0, cpuTotalNs: 0 });
  });
});
