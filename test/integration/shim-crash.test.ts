import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { TEST_IMAGES, uniqueId, useContainerd, WASMTS_RUNTIME } from '../support/rig.js';
import { captureEvents, taskRow, waitForStatus } from '../support/tasks.js';
import { processOfThread } from '../support/processes.js';

const containerd = useContainerd();

function bundleOf(id: string): string {
  return path.join(containerd.info.state, 'io.containerd.runtime.v2.task', containerd.namespace, id);
}

async function mountsUnder(dir: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info.split('\n').filter((line) => line.split(' ')[4]?.startsWith(dir));
}

describe('a shim daemon killed with SIGKILL', () => {
  it('has containerd report the exit of each of its tasks and leaves no mount or socket behind', async () => {
    const group = uniqueId('crash-group');
    const ids = [uniqueId('crash-a'), uniqueId('crash-b')];
    for (const id of ids) {
      await containerd.ctrOk(['run', '-d', '--annotation', `io.containerd.wasmts.v1.group=${group}`, '--runtime', WASMTS_RUNTIME, TEST_IMAGES.ticker.reference, id]);
      await waitForStatus(containerd, id, 'RUNNING');
    }
    const pids = await Promise.all(ids.map(async (id) => (await taskRow(containerd, id))!.pid));
    const daemons = pids.map(processOfThread);
    expect(daemons[0]).toBe(daemons[1]);
    const socket = (await readFile(path.join(bundleOf(ids[0]!), 'address'), 'utf8')).trim().replace(/^unix:\/\//, '');
    expect(existsSync(socket)).toBe(true);

    const events = await captureEvents(containerd, async () => {
      process.kill(daemons[0]!, 'SIGKILL');
      for (let i = 0; i < 100 && ids.some((id) => existsSync(bundleOf(id))); i++) await sleep(50);
    });
    for (const id of ids) {
      const mine = events.filter((e) => e.body.container_id === id).map((e) => e.topic);
      expect(mine).toEqual(['/tasks/exit', '/tasks/delete']);
      expect(events.find((e) => e.topic === '/tasks/exit' && e.body.container_id === id)?.body).toMatchObject({ exit_status: 137 });
      expect(await taskRow(containerd, id)).toBeUndefined();
      expect(await mountsUnder(bundleOf(id))).toEqual([]);
    }
    expect(existsSync(socket)).toBe(false);

    // The group starts afresh: a new daemon, new tasks, normal exits.
    const again = await containerd.ctr(['run', '--rm', '--annotation', `io.containerd.wasmts.v1.group=${group}`, '--runtime', WASMTS_RUNTIME, TEST_IMAGES.hello.reference, uniqueId('after-crash')]);
    expect(again.stdout).toBe('hello from wasm\n');
    expect(again.code).toBe(0);
    for (const id of ids) await containerd.ctrOk(['container', 'delete', id]);
  });
});
