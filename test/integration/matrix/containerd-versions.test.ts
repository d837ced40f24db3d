/**
 * The walking skeleton's ctr scenarios on every containerd of the matrix:
 * 1.6 (the rig every integration test uses), 1.7, 2.x from Debian, and 2.3
 * when it was built. Each version is driven by its own ctr.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CtrClient } from '../../support/containerd.js';
import { IMAGES_DIR, REPO_ROOT } from '../../support/fixtures.js';
import { TEST_IMAGES, uniqueId, useContainerd, WASMTS_RUNTIME } from '../../support/rig.js';
import {
  type ContainerdName,
  MatrixCtr,
  matrixDaemon,
  matrixRequired,
  retried,
  useDaemon,
} from '../../support/runtimes.js';
import { captureEvents, waitForStatus } from '../../support/tasks.js';

interface Row {
  label: string;
  name: ContainerdName | 'rig';
  expectedVersion: RegExp;
  absentReason: string | undefined;
  optional?: boolean;
}

const rows: Row[] = [
  { label: 'containerd 1.6 (the test rig)', name: 'rig', expectedVersion: /^1\.6\./, absentReason: undefined },
  ...(['ctd17', 'ctd2', 'ctd23'] as const).map((name) => {
    const daemon = matrixDaemon(name);
    const { label, expectedVersion, absentReason, optional } = daemon;
    return { label, name, expectedVersion, absentReason, ...(optional === undefined ? {} : { optional }) };
  }),
];

const IMAGES = [TEST_IMAGES.hello, TEST_IMAGES.exitCode, TEST_IMAGES.exitWat, TEST_IMAGES.ticker, TEST_IMAGES.notWasm];
const PACKAGE_VERSION = (JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

for (const row of rows) {
  if (row.absentReason !== undefined && !matrixRequired(row)) {
    console.warn(`[matrix] skipping ${row.label}: ${row.absentReason}`);
  }
}

describe.each(rows)('$label', (row) => {
  if (row.absentReason !== undefined) {
    it.skipIf(!matrixRequired(row))('is installed', () => {
      throw new Error(row.absentReason);
    });
    return;
  }

  let containerd: CtrClient;
  let release: () => Promise<void> = async () => {};
  let major = 1;

  beforeAll(async () => {
    if (row.name === 'rig') {
      containerd = useContainerd();
    } else {
      release = await useDaemon(row.name);
      containerd = new MatrixCtr(row.name);
      for (const image of IMAGES) {
        await retried(3, () => containerd.importImage(path.join(IMAGES_DIR, `${image.name}.tar`)));
      }
    }
    major = Number(/^(\d+)\./.exec(await serverVersion(containerd))?.[1] ?? '1');
  });

  afterAll(async () => {
    await release();
  });

  /** An attached `ctr run` of the ticker, once it printed a tick; `finished` settles when ctr exits. */
  async function runTicker(id: string) {
    const finished = containerd.ctr(['run', '--rm', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.ticker.reference, id]);
    await waitForStatus(containerd, id, 'RUNNING', 10_000);
    await sleep(1_200); // printed a tick and sleeps in poll_oneoff
    return { finished };
  }

  it('is the containerd version the row is named after', async () => {
    expect(await serverVersion(containerd)).toMatch(row.expectedVersion);
  });

  it('prints the output of hello.wasm and exits 0', async () => {
    const result = await containerd.ctr(['run', '--rm', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.hello.reference, uniqueId('hello')]);
    expect(result.stdout).toBe('hello from wasm\n');
    // ctr 2.2 and later also warn on stderr that cgroup v1 is deprecated
    expect(result.stderr).toContain('hello on stderr');
    expect(result.code).toBe(0);
  });

  it("exits with the module's exit code", async () => {
    const three = await containerd.ctr(['run', '--rm', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.exitCode.reference, uniqueId('exit'), '/exit-code.wasm', '3']);
    expect(three.code).toBe(3);
    const wat = await containerd.ctr(['run', '--rm', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.exitWat.reference, uniqueId('exit')]);
    expect(wat.stdout).toBe('hello from wat\n');
    expect(wat.code).toBe(42);
  });

  it('ends a running module with 143 on SIGTERM and 137 on SIGKILL', async () => {
    const termId = uniqueId('term');
    const term = await runTicker(termId);
    await containerd.ctrOk(['task', 'kill', '--signal', 'SIGTERM', termId]);
    const terminated = await term.finished;
    expect(terminated.stdout).toContain('tick 0');
    expect(terminated.code).toBe(143);

    const killId = uniqueId('kill');
    const kill = await runTicker(killId);
    await containerd.ctrOk(['task', 'kill', '--signal', 'SIGKILL', killId]);
    expect((await kill.finished).code).toBe(137);
  });

  it('refuses a file that is not WebAssembly with a message naming it', async () => {
    const id = uniqueId('bad');
    const result = await containerd.ctr(['run', '--rm', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.notWasm.reference, id]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/\/not-wasm\.txt is a text file .*not a WebAssembly module/);
    await containerd.ctr(['container', 'delete', id]);
    expect((await containerd.ctrOk(['task', 'ls', '-q'])).split('\n')).not.toContain(id);
  });

  it('publishes /tasks/create, /tasks/start, /tasks/exit and /tasks/delete in order', async () => {
    const id = uniqueId('events');
    const events = await captureEvents(containerd, () =>
      containerd.ctr(['run', '--rm', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.exitCode.reference, id, '/exit-code.wasm', '5']),
    );
    const mine = events.filter((e) => e.body.container_id === id);
    expect(mine.map((e) => e.topic)).toEqual(['/tasks/create', '/tasks/start', '/tasks/exit', '/tasks/delete']);
    const pid = mine[0]!.body.pid;
    expect(pid).toBeGreaterThan(0);
    expect(mine[2]!.body).toMatchObject({ container_id: id, id, pid, exit_status: 5 });
    expect(mine[2]!.body.exited_at).toBeDefined();
    expect(mine[3]!.body).toMatchObject({ container_id: id, pid, exit_status: 5 });
  });

  it('is spoken to over task API v3 by containerd 2.x and v2 by 1.x', async () => {
    const id = uniqueId('api');
    await containerd.ctrOk(['run', '-d', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.ticker.reference, id]);
    try {
      await waitForStatus(containerd, id, 'RUNNING', 10_000);
      // containerd 2.x records the start reply it acted on in the bundle; 1.x keeps nothing.
      const bundle = path.join(containerd.info.state, 'io.containerd.runtime.v2.task', containerd.namespace, id);
      const recorded = await readFile(path.join(bundle, 'bootstrap.json'), 'utf8').catch(() => undefined);
      if (major >= 2) {
        expect(JSON.parse(recorded ?? '{}')).toMatchObject({ version: 3, protocol: 'ttrpc', address: expect.stringMatching(/^unix:\/\//) });
      } else {
        expect(recorded).toBeUndefined();
      }
      // and the task answers over it
      expect(await containerd.ctrOk(['task', 'ls'])).toMatch(new RegExp(`${id}\\s+\\d+\\s+RUNNING`));
    } finally {
      await containerd.ctr(['task', 'kill', '--signal', 'SIGKILL', id]);
      await waitForStatus(containerd, id, 'STOPPED', 10_000).catch(() => {});
      await containerd.ctr(['task', 'delete', id]);
      await containerd.ctr(['container', 'delete', id]);
    }
  });

  it.skipIf(row.name === 'rig' || row.name === 'ctd17')('answers containerd 2.x -info with the runtime name and version', async () => {
    const info = JSON.parse(await containerd.ctrOk(['plugins', 'inspect-runtime', '--runtime', WASMTS_RUNTIME])) as {
      Name: string;
      Version: { Version: string };
    };
    expect(info.Name).toBe(WASMTS_RUNTIME);
    expect(info.Version.Version).toBe(PACKAGE_VERSION);
  });
});

async function serverVersion(containerd: CtrClient): Promise<string> {
  const out = await containerd.ctrOk(['version']);
  const server = out.slice(out.indexOf('Server:'));
  return /Version:\s+(\S+)/.exec(server)?.[1] ?? '';
}
