import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_IMAGES, uniqueId, useContainerd, WASMTS_RUNTIME } from '../support/rig.js';
import { updateTaskResources } from '../support/shim-client.js';
import { captureEvents, removeTask, waitForFile, waitForStatus } from '../support/tasks.js';

const containerd = useContainerd();
const MIB = 1024 * 1024;

function runMemhog(mode: string, limitBytes: number, extra: string[] = []) {
  return containerd.ctr([
    'run', '--rm', '--memory-limit', String(limitBytes), ...extra, '--runtime', WASMTS_RUNTIME,
    TEST_IMAGES.memhog.reference, uniqueId(`memhog-${mode}`), '/memhog.wasm', mode,
  ]);
}

describe('a memory limit (ctr run --memory-limit, Update)', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wasmts-memory-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function runSlowHog(limitBytes: number): Promise<{ id: string; log: string }> {
    const id = uniqueId('memhog-slow');
    const log = path.join(dir, `${id}.log`);
    await containerd.ctrOk([
      'run', '-d', '--memory-limit', String(limitBytes), '--log-uri', `file://${log}`, '--runtime', WASMTS_RUNTIME,
      TEST_IMAGES.memhog.reference, id, '/memhog.wasm', 'slow',
    ]);
    await waitForStatus(containerd, id, 'RUNNING');
    return { id, log };
  }

  it("caps the guest's memory: past the limit malloc returns NULL, as a real allocator's does", async () => {
    const result = await runMemhog('exit', 16 * MIB);
    expect(result.stdout).toMatch(/^malloc failed at 1[45] MiB$/m);
    expect(result.code).toBe(3);
  });

  it('ends a guest that aborts at its limit with 137, says why on its stderr, and publishes /tasks/oom', async () => {
    let result: Awaited<ReturnType<typeof runMemhog>> | undefined;
    const events = await captureEvents(containerd, async () => {
      result = await runMemhog('abort', 16 * MIB);
    });
    expect(result!.code).toBe(137);
    expect(result!.stderr).toContain('out of memory: the guest reached its memory limit of 16.0 MiB');
    const topics = events.map((e) => e.topic);
    expect(topics).toContain('/tasks/oom');
    // The OOM is known before the exit, as with the kernel's OOM killer.
    expect(topics.indexOf('/tasks/oom')).toBeLessThan(topics.indexOf('/tasks/exit'));
  });

  it('refuses to start a module that needs more memory at start than the limit, saying so', async () => {
    const result = await runMemhog('exit', 64 * 1024);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('more than the container\'s memory limit of 64 KiB');
  });

  it('raises the limit of a running task: the guest grows into the new room', async () => {
    const { id, log } = await runSlowHog(16 * MIB);
    try {
      await waitForFile(log, (text) => /refused at 1[45] MiB/.test(text), 10_000);
      await updateTaskResources(containerd, id, { memory: { limit: 32 * MIB } });
      const text = await waitForFile(log, (t) => /refused at 3[01] MiB/.test(t), 10_000);
      expect(text).toContain('total 20 MiB');
    } finally {
      await removeTask(containerd, id);
    }
  });

  it('lowers the limit of a running task: growth stops at the new cap', async () => {
    const { id, log } = await runSlowHog(256 * MIB);
    try {
      await waitForFile(log, (text) => text.includes('total 3 MiB'));
      await updateTaskResources(containerd, id, { memory: { limit: 8 * MIB } });
      const text = await waitForFile(log, (t) => /refused at [67] MiB/.test(t), 10_000);
      expect(text).not.toContain('total 9 MiB');
    } finally {
      await removeTask(containerd, id);
    }
  });

  it('refuses to change the limit of a task started without one, saying why', async () => {
    const id = uniqueId('no-limit');
    await containerd.ctrOk(['run', '-d', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.ticker.reference, id]);
    try {
      await waitForStatus(containerd, id, 'RUNNING');
      await expect(updateTaskResources(containerd, id, { memory: { limit: 32 * MIB } })).rejects.toThrow(/started without one/);
      // Resources wasm tasks have no use for (CPU shares) are accepted and ignored.
      await updateTaskResources(containerd, id, { cpu: { shares: 512 } });
    } finally {
      await removeTask(containerd, id);
    }
  });
});
