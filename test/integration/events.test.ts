import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { TEST_IMAGES, uniqueId, useContainerd, WASMTS_RUNTIME } from '../support/rig.js';
import { captureEvents } from '../support/tasks.js';

const containerd = useContainerd();

describe('ctr events', () => {
  it('shows /tasks/create, /tasks/start, /tasks/exit and /tasks/delete of a run, in order', async () => {
    const id = uniqueId('events');
    const events = await captureEvents(containerd, () =>
      containerd.ctr(['run', '--rm', '--env', 'EXIT_CODE=3', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.echoArgsEnv.reference, id]),
    );
    const mine = events.filter((e) => e.body.container_id === id);
    expect(mine.map((e) => e.topic)).toEqual(['/tasks/create', '/tasks/start', '/tasks/exit', '/tasks/delete']);
    const [create, start, exit, del] = mine;
    const pid = create!.body.pid;
    expect(pid).toEqual(expect.any(Number));
    expect(pid).toBeGreaterThan(0);
    expect(start!.body).toMatchObject({ container_id: id, pid });
    expect(exit!.body).toMatchObject({ container_id: id, id, pid, exit_status: 3 });
    expect(exit!.body.exited_at).toEqual(expect.any(String));
    expect(del!.body).toMatchObject({ container_id: id, pid, exit_status: 3 });
  });

  it('reports the exit status of a killed task in /tasks/exit', async () => {
    const id = uniqueId('events-kill');
    const events = await captureEvents(containerd, async () => {
      await containerd.ctrOk(['run', '-d', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.ticker.reference, id]);
      await sleep(500);
      await containerd.ctrOk(['task', 'kill', '-s', 'SIGKILL', id]);
      await sleep(200);
      await containerd.ctrOk(['task', 'delete', id]);
      await containerd.ctrOk(['container', 'delete', id]);
    });
    const exit = events.find((e) => e.topic === '/tasks/exit' && e.body.container_id === id);
    expect(exit?.body).toMatchObject({ exit_status: 137 });
  });
});
