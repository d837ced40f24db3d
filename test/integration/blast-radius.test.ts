/**
 * What one guest can do to the others in its daemon: containers of one group
 * (a pod, or the group annotation) share a process, so a guest that traps, runs
 * out of memory at its limit, or recurses without end must end alone, while
 * its neighbour keeps running and keeps writing.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_IMAGES, uniqueId, useContainerd, WASMTS_RUNTIME } from '../support/rig.js';
import { removeTask, taskRow, waitForFile, waitForStatus } from '../support/tasks.js';

const containerd = useContainerd();
const MIB = 1024 * 1024;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'wasmts-blast-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function ticks(text: string): number {
  return text.split('\n').filter((line) => line.startsWith('tick ')).length;
}

describe('one guest failing in a shared daemon', () => {
  it('ends only that guest: its neighbour keeps running in the same daemon and keeps writing', async () => {
    const group = ['--annotation', `io.containerd.wasmts.v1.group=${uniqueId('blast')}`];
    const neighbour = uniqueId('neighbour');
    const log = path.join(dir, `${neighbour}.log`);
    await containerd.ctrOk(['run', '-d', ...group, '--log-uri', `file://${log}`, '--runtime', WASMTS_RUNTIME, TEST_IMAGES.ticker.reference, neighbour]);
    try {
      await waitForStatus(containerd, neighbour, 'RUNNING');
      await waitForFile(log, (text) => ticks(text) >= 1, 10_000);
      const threadBefore = (await taskRow(containerd, neighbour))?.pid;

      const trap = await containerd.ctr(['run', '--rm', ...group, '--runtime', WASMTS_RUNTIME, TEST_IMAGES.trap.reference, uniqueId('trap')]);
      expect(trap.code).toBe(134);
      const oom = await containerd.ctr([
        'run', '--rm', ...group, '--memory-limit', String(16 * MIB), '--runtime', WASMTS_RUNTIME,
        TEST_IMAGES.memhog.reference, uniqueId('oom'), '/memhog.wasm', 'abort',
      ]);
      expect(oom.code).toBe(137);
      const deep = await containerd.ctr(['run', '--rm', ...group, '--runtime', WASMTS_RUNTIME, TEST_IMAGES.deepRecursion.reference, uniqueId('deep'), '/deep-recursion.wasm', '100000000']);
      expect(deep.code).toBe(134);
      expect(deep.stderr).toMatch(/wasm trap: (Maximum call stack size exceeded|memory access out of bounds)/);

      // The same guest thread of the same daemon, still running, still ticking.
      expect(await taskRow(containerd, neighbour)).toMatchObject({ pid: threadBefore, status: 'RUNNING' });
      expect(existsSync(`/proc/${threadBefore}`)).toBe(true);
      const before = ticks(await readFile(log, 'utf8'));
      await waitForFile(log, (text) => ticks(text) > before, 10_000);
    } finally {
      await removeTask(containerd, neighbour);
    }
  });
});
