import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { taskMetrics } from '../support/metrics.js';
import { TEST_IMAGES, uniqueId, useContainerd, WASMTS_RUNTIME } from '../support/rig.js';
import { removeTask, waitForStatus } from '../support/tasks.js';

const containerd = useContainerd();

async function runDetached(image: string, flags: string[] = []): Promise<string> {
  const id = uniqueId('metrics');
  await containerd.ctrOk(['run', '-d', ...flags, '--runtime', WASMTS_RUNTIME, image, id]);
  await waitForStatus(containerd, id, 'RUNNING');
  return id;
}

describe('ctr task metrics', () => {
  it('prints the memory and CPU time of a task as a cgroup metrics table', async () => {
    const id = await runDetached(TEST_IMAGES.spin.reference);
    try {
      await sleep(300);
      const table = await containerd.ctrOk(['task', 'metrics', id]);
      expect(table).toMatch(/memory\.usage/);
      expect(table).toMatch(/pids\.current\s+1\b/);
      const m = await taskMetrics(containerd, id);
      // Linear memory (at least one 64 KiB page) plus the engine's heap for the guest.
      expect(m.memoryUsage).toBeGreaterThan(65_536);
      expect(m.cpuNs).toBeGreaterThan(0);
    } finally {
      await removeTask(containerd, id);
    }
  });

  it('shows CPU time growing while a guest computes and standing still while it sleeps', async () => {
    const spinning = await runDetached(TEST_IMAGES.spin.reference);
    const sleeping = await runDetached(TEST_IMAGES.ticker.reference);
    try {
      await sleep(200);
      const [spin0, tick0] = [await taskMetrics(containerd, spinning), await taskMetrics(containerd, sleeping)];
      await sleep(1_000);
      const [spin1, tick1] = [await taskMetrics(containerd, spinning), await taskMetrics(containerd, sleeping)];
      expect(spin1.cpuNs - spin0.cpuNs).toBeGreaterThan(300_000_000);
      expect(tick1.cpuNs - tick0.cpuNs).toBeLessThan(100_000_000);
    } finally {
      await removeTask(containerd, spinning);
      await removeTask(containerd, sleeping);
    }
  });

  it('reports the memory limit the task was given', async () => {
    const id = await runDetached(TEST_IMAGES.ticker.reference, ['--memory-limit', String(64 * 1024 * 1024)]);
    try {
      expect((await taskMetrics(containerd, id)).memoryLimit).toBe(64 * 1024 * 1024);
    } finally {
      await removeTask(containerd, id);
    }
  });

  it('counts the guests of a task and its execs together', async () => {
    const id = await runDetached(TEST_IMAGES.toolbox.reference);
    try {
      await containerd.ctrOk(['task', 'exec', '-d', '--exec-id', 'side', id, '/ticker.wasm']);
      expect((await taskMetrics(containerd, id)).pids).toBe(2);
    } finally {
      await removeTask(containerd, id);
    }
  });
});
