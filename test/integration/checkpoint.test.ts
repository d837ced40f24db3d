import { describe, expect, it } from 'vitest';
import { TEST_IMAGES, uniqueId, useContainerd, WASMTS_RUNTIME } from '../support/rig.js';
import { removeTask, taskRow, waitForStatus } from '../support/tasks.js';

const containerd = useContainerd();

describe('ctr task checkpoint', () => {
  it('refuses to checkpoint a wasm task, saying it is not supported, and leaves the task running', async () => {
    const id = uniqueId('ckpt');
    await containerd.ctrOk(['run', '-d', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.ticker.reference, id]);
    try {
      await waitForStatus(containerd, id, 'RUNNING');
      const result = await containerd.ctr(['task', 'checkpoint', id]);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('checkpointing wasm tasks is not supported');
      expect((await taskRow(containerd, id))?.status).toBe('RUNNING');
    } finally {
      await removeTask(containerd, id);
    }
  });
});
