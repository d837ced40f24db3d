import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrivateContainerd, WASMTS_RUNTIME } from '../support/containerd.js';
import { IMAGES_DIR } from '../support/fixtures.js';
import { TEST_IMAGES, uniqueId } from '../support/rig.js';
import { captureEvents, taskRow, waitForStatus } from '../support/tasks.js';

// Its own containerd, so restarting it cannot disturb the other test files.
describe('containerd restarted while wasm tasks run', () => {
  let containerd: PrivateContainerd;
  const group = uniqueId('restart-group');
  const ids = [uniqueId('restart-a'), uniqueId('restart-b'), uniqueId('restart-alone')];
  const pidsBefore = new Map<string, number>();

  beforeAll(async () => {
    containerd = await PrivateContainerd.start({ namespace: 'wasmts-restart' });
    await containerd.importImage(path.join(IMAGES_DIR, `${TEST_IMAGES.ticker.name}.tar`));
    for (const [i, id] of ids.entries()) {
      const grouping = i < 2 ? ['--annotation', `io.containerd.wasmts.v1.group=${group}`] : [];
      await containerd.ctrOk(['run', '-d', ...grouping, '--runtime', WASMTS_RUNTIME, TEST_IMAGES.ticker.reference, id]);
      await waitForStatus(containerd, id, 'RUNNING');
      pidsBefore.set(id, (await taskRow(containerd, id))!.pid);
    }
    await containerd.restart({ downMs: 1_000 });
  }, 120_000);

  afterAll(async () => {
    const report = await containerd?.stop();
    expect(report?.killedShims ?? []).toEqual([]);
  });

  it('lists every task as RUNNING with the same pid afterwards', async () => {
    for (const id of ids) {
      expect(await taskRow(containerd, id)).toEqual({ id, pid: pidsBefore.get(id), status: 'RUNNING' });
    }
  });

  it('kills a task afterwards and reports its exit', async () => {
    const [id] = ids as [string];
    const events = await captureEvents(containerd, () => containerd.ctrOk(['task', 'kill', '-s', 'SIGTERM', id]));
    expect(events.find((e) => e.topic === '/tasks/exit' && e.body.container_id === id)?.body).toMatchObject({ exit_status: 143 });
    await waitForStatus(containerd, id, 'STOPPED');
    await containerd.ctrOk(['task', 'delete', id]);
    await containerd.ctrOk(['container', 'delete', id]);
    // Its group's other task is untouched.
    expect((await taskRow(containerd, ids[1]!))?.status).toBe('RUNNING');
  });

  it('ends and deletes the remaining tasks normally, leaving no shim running', async () => {
    for (const id of ids.slice(1)) {
      await containerd.ctrOk(['task', 'kill', '-s', 'SIGKILL', id]);
      await waitForStatus(containerd, id, 'STOPPED');
      await containerd.ctrOk(['task', 'delete', id]);
      await containerd.ctrOk(['container', 'delete', id]);
    }
    expect((await containerd.ctrOk(['task', 'ls', '-q'])).trim()).toBe('');
  });
});
