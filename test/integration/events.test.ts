import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { TEST_IMAGES, uniqueId, useContainerd, WASMTS_RUNTIME } from '../support/rig.js';

const containerd = useContainerd();

interface SeenEvent {
  topic: string;
  body: Record<string, unknown>;
}

/** Runs `ctr events` around `action` and returns the task events it printed, in order. */
async function captureEvents(action: () => Promise<unknown>): Promise<SeenEvent[]> {
  const child = spawn('/usr/bin/ctr', ['--address', containerd.address, '--namespace', containerd.namespace, 'events'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await sleep(300); // subscribed
  try {
    await action();
    await sleep(500); // the last events reach the subscriber
  } finally {
    child.kill('SIGTERM');
  }
  return output
    .split('\n')
    .map((line) => /\s(\/tasks\/[a-z-]+)\s(\{.*\})$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ topic: m[1]!, body: JSON.parse(m[2]!) as Record<string, unknown> }));
}

describe('ctr events', () => {
  it('shows /tasks/create, /tasks/start, /tasks/exit and /tasks/delete of a run, in order', async () => {
    const id = uniqueId('events');
    const events = await captureEvents(() =>
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
    const events = await captureEvents(async () => {
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
