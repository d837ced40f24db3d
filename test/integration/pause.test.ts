import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_IMAGES, uniqueId, useContainerd, WASMTS_RUNTIME } from '../support/rig.js';
import { captureEvents, removeTask, taskRow, waitForFile, waitForStatus } from '../support/tasks.js';

const containerd = useContainerd();

/** CPU ticks (1/100 s) a host thread has used: /proc/<tid>/stat utime + stime. */
async function cpuTicks(tid: number): Promise<number> {
  const stat = await readFile(`/proc/${tid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

const lines = (text: string) => text.split('\n').filter(Boolean);

describe('ctr task pause and resume', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wasmts-pause-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function runLogged(image: string, prefix: string): Promise<{ id: string; log: string }> {
    const id = uniqueId(prefix);
    const log = path.join(dir, `${id}.log`);
    await containerd.ctrOk(['run', '-d', '--log-uri', `file://${log}`, '--runtime', WASMTS_RUNTIME, image, id]);
    await waitForStatus(containerd, id, 'RUNNING');
    return { id, log };
  }

  it('stops a guest computing in a loop without WASI calls: PAUSED, no CPU, no output; resume continues where it was', async () => {
    const { id, log } = await runLogged(TEST_IMAGES.spin.reference, 'pause-spin');
    try {
      await waitForFile(log, (text) => lines(text).length >= 3);
      const tid = (await taskRow(containerd, id))!.pid;
      const events = await captureEvents(containerd, () => containerd.ctrOk(['task', 'pause', id]));
      expect(events.filter((e) => e.body.container_id === id).map((e) => e.topic)).toEqual(['/tasks/paused']);
      expect((await taskRow(containerd, id))?.status).toBe('PAUSED');

      await sleep(200); // output already in flight lands
      const before = { output: await readFile(log, 'utf8'), cpu: await cpuTicks(tid) };
      await sleep(1_500);
      expect(await readFile(log, 'utf8')).toBe(before.output);
      expect((await cpuTicks(tid)) - before.cpu).toBeLessThanOrEqual(2);

      const resumed = await captureEvents(containerd, () => containerd.ctrOk(['task', 'resume', id]));
      expect(resumed.filter((e) => e.body.container_id === id).map((e) => e.topic)).toEqual(['/tasks/resumed']);
      expect((await taskRow(containerd, id))?.status).toBe('RUNNING');
      const last = Number(/spin (\d+)\n$/.exec(before.output)?.[1]);
      const after = await waitForFile(log, (text) => text.includes(`spin ${last + 2}\n`));
      // The loop went on from where it stopped: the count continues without a restart.
      expect(after.startsWith(before.output)).toBe(true);
      expect(lines(after).slice(lines(before.output).length)[0]).toBe(`spin ${last + 1}`);
      expect(after.match(/spin 0\n/g)).toHaveLength(1);
    } finally {
      await removeTask(containerd, id);
    }
  });

  it('keeps a guest asleep in a WASI call from waking while paused', async () => {
    const { id, log } = await runLogged(TEST_IMAGES.ticker.reference, 'pause-tick');
    try {
      await waitForFile(log, (text) => text.includes('tick 0\n'));
      await containerd.ctrOk(['task', 'pause', id]);
      const before = await readFile(log, 'utf8');
      await sleep(2_500);
      expect(await readFile(log, 'utf8')).toBe(before);
      await containerd.ctrOk(['task', 'resume', id]);
      const next = lines(before).length;
      await waitForFile(log, (text) => text.includes(`tick ${next}\n`), 3_000);
    } finally {
      await removeTask(containerd, id);
    }
  });

  it('kills a paused task at once with 137', async () => {
    const { id } = await runLogged(TEST_IMAGES.spin.reference, 'pause-kill');
    try {
      await containerd.ctrOk(['task', 'pause', id]);
      const started = performance.now();
      await containerd.ctrOk(['task', 'kill', '-s', 'SIGKILL', id]);
      await waitForStatus(containerd, id, 'STOPPED', 2_000);
      expect(performance.now() - started).toBeLessThan(1_500);
      expect(await containerd.ctrOk(['task', 'ls'])).toMatch(new RegExp(`${id}\\s+\\d+\\s+STOPPED`));
    } finally {
      await removeTask(containerd, id);
    }
  });

  it('pauses the execs of a task along with it', async () => {
    const { id } = await runLogged(TEST_IMAGES.toolbox.reference, 'pause-exec');
    try {
      await containerd.ctrOk(['task', 'exec', '-d', '--exec-id', 'burn', id, '/spin.wasm']);
      await sleep(300);
      const execTid = Number(
        (await containerd.ctrOk(['task', 'ps', id]))
          .split('\n')
          .find((row) => row.includes('burn'))
          ?.trim()
          .split(/\s+/)[0],
      );
      await containerd.ctrOk(['task', 'pause', id]);
      const before = await cpuTicks(execTid);
      await sleep(1_000);
      expect((await cpuTicks(execTid)) - before).toBeLessThanOrEqual(2);
      await containerd.ctrOk(['task', 'resume', id]);
      await sleep(500);
      expect((await cpuTicks(execTid)) - before).toBeGreaterThan(10);
    } finally {
      await removeTask(containerd, id);
    }
  });
});
