import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { TEST_IMAGES, uniqueId, useContainerd, WASMTS_RUNTIME } from '../support/rig.js';

const containerd = useContainerd();

interface TaskRow {
  id: string;
  pid: number;
  status: string;
}

async function taskRow(id: string): Promise<TaskRow | undefined> {
  const out = await containerd.ctrOk(['task', 'ls']);
  for (const line of out.split('\n').slice(1)) {
    const [taskId, pid, status] = line.trim().split(/\s+/);
    if (taskId === id) return { id: taskId, pid: Number(pid), status: status ?? '' };
  }
  return undefined;
}

async function waitForStatus(id: string, status: string, timeoutMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const row = await taskRow(id);
    if (row?.status === status) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`task ${id} is ${row?.status ?? 'gone'}, not ${status}`);
    await sleep(5);
  }
}

async function startTicker(): Promise<string> {
  const id = uniqueId('ticker');
  await containerd.ctrOk(['run', '-d', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.ticker.reference, id]);
  await waitForStatus(id, 'RUNNING', 5_000);
  // Let it print and fall asleep in poll_oneoff.
  await sleep(1_200);
  return id;
}

async function cleanUp(id: string): Promise<void> {
  await containerd.ctrOk(['task', 'delete', id]);
  await containerd.ctrOk(['container', 'delete', id]);
  expect(await taskRow(id)).toBeUndefined();
  expect((await containerd.ctrOk(['container', 'ls', '-q'])).split('\n')).not.toContain(id);
}

/** `ctr run` (attached) of the ticker: resolves with ctr's exit status once the task ends. */
async function runTicker(): Promise<{ id: string; finished: ReturnType<typeof containerd.ctr> }> {
  const id = uniqueId('ticker');
  const finished = containerd.ctr(['run', '--rm', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.ticker.reference, id]);
  await waitForStatus(id, 'RUNNING', 5_000);
  await sleep(1_200); // printed a tick and is asleep in poll_oneoff
  return { id, finished };
}

async function timedKill(id: string, signal: string): Promise<number> {
  const started = performance.now();
  await containerd.ctrOk(['task', 'kill', '-s', signal, id]);
  return performance.now() - started;
}

describe('ctr task kill', () => {
  it('shows a detached task RUNNING with a pid, then STOPPED, and cleans up', async () => {
    const id = await startTicker();
    const row = await taskRow(id);
    expect(row?.status).toBe('RUNNING');
    expect(row?.pid).toBeGreaterThan(0);
    await containerd.ctrOk(['task', 'kill', '-s', 'SIGKILL', id]);
    await waitForStatus(id, 'STOPPED', 5_000);
    await cleanUp(id);
  });

  it('ends a sleeping module with 143 on SIGTERM before the kill returns', async () => {
    const { id, finished } = await runTicker();
    const elapsed = await timedKill(id, 'SIGTERM');
    // The Kill RPC returns once the guest has ended; the bound covers ctr's own start-up too.
    expect(elapsed).toBeLessThan(500);
    const result = await finished;
    expect(result.stdout).toContain('tick 0');
    expect(result.code).toBe(143);
  });

  it('ends a sleeping module with 137 on SIGKILL before the kill returns', async () => {
    const { id, finished } = await runTicker();
    const elapsed = await timedKill(id, 'SIGKILL');
    expect(elapsed).toBeLessThan(500);
    expect((await finished).code).toBe(137);
  });

  it('reports STOPPED in ctr task ls right after the kill of a detached task', async () => {
    const id = await startTicker();
    await timedKill(id, 'SIGTERM');
    expect(await taskRow(id)).toMatchObject({ status: 'STOPPED' });
    await cleanUp(id);
  });

  it('answers a kill of a stopped task with not found', async () => {
    const id = await startTicker();
    await containerd.ctrOk(['task', 'kill', '-s', 'SIGKILL', id]);
    await waitForStatus(id, 'STOPPED', 5_000);
    const again = await containerd.ctr(['task', 'kill', '-s', 'SIGKILL', id]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('not found');
    await cleanUp(id);
  });
});
