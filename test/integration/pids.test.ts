import { readFile, stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../support/run-command.js';
import { TEST_IMAGES, uniqueId, useContainerd, WASMTS_RUNTIME } from '../support/rig.js';
import { removeTask, waitForStatus } from '../support/tasks.js';
import { processOfThread } from '../support/processes.js';

const containerd = useContainerd();

describe('ctr task ps', () => {
  const id = uniqueId('ps');

  beforeAll(async () => {
    await containerd.ctrOk(['run', '-d', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.toolbox.reference, id]);
    await waitForStatus(containerd, id, 'RUNNING');
    await containerd.ctrOk(['task', 'exec', '-d', '--exec-id', 'sidecar', id, '/ticker.wasm']);
  });

  afterAll(async () => {
    await removeTask(containerd, id);
  });

  it('lists the task and its exec, each with a pid that is a thread of the shim daemon on the host', async () => {
    const rows = (await containerd.ctrOk(['task', 'ps', id])).trim().split('\n').slice(1);
    expect(rows).toHaveLength(2);
    const pids = rows.map((row) => Number(row.trim().split(/\s+/)[0]));
    expect(rows.find((row) => row.includes('sidecar'))).toBeDefined();
    expect(new Set(pids).size).toBe(2);
    const daemons = pids.map(processOfThread);
    expect(daemons[0]).toBe(daemons[1]);
    const daemon = daemons[0]!;
    expect(daemon).not.toBe(pids[0]);
    for (const pid of pids) {
      expect((await stat(`/proc/${daemon}/task/${pid}`)).isDirectory()).toBe(true);
    }
    const cmdline = (await readFile(`/proc/${daemon}/cmdline`, 'utf8')).split('\0').join(' ');
    expect(cmdline).toMatch(/dist\/main\.js/);
  });

  it('shows the same pids as threads (LWP) of the daemon in ps -eLf', async () => {
    const rows = (await containerd.ctrOk(['task', 'ps', id])).trim().split('\n').slice(1);
    const pids = rows.map((row) => Number(row.trim().split(/\s+/)[0]));
    const daemon = processOfThread(pids[0]!);
    const ps = await runCommand('ps', ['-eLf']);
    const lwps = ps.stdout
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((cols) => Number(cols[1]) === daemon)
      .map((cols) => Number(cols[3]));
    for (const pid of pids) expect(lwps).toContain(pid);
  });

  it('reports the init pid that ctr task ls shows', async () => {
    const ls = await containerd.ctrOk(['task', 'ls']);
    const row = ls.split('\n').find((line) => line.startsWith(`${id} `));
    const ps = await containerd.ctrOk(['task', 'ps', id]);
    expect(ps).toContain(row!.trim().split(/\s+/)[1]!);
  });
});
