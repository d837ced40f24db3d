import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/fixtures.js';
import { TEST_IMAGES, uniqueId, useContainerd, WASMTS_RUNTIME } from '../support/rig.js';
import { removeTask, waitForFile, waitForStatus } from '../support/tasks.js';

const containerd = useContainerd();
const LOGGER = path.join(REPO_ROOT, 'test', 'fixtures', 'binary-logger.sh');

describe('ctr run --log-uri', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wasmts-stdio-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('appends stdout and stderr to the file of a file:// URI, creating its directory', async () => {
    const file = path.join(dir, 'nested', 'hello.log');
    const result = await containerd.ctr([
      'run', '--rm', '--log-uri', `file://${file}`, '--runtime', WASMTS_RUNTIME, TEST_IMAGES.hello.reference, uniqueId('file'),
    ]);
    expect(result.code).toBe(0);
    const text = await readFile(file, 'utf8');
    expect(text).toContain('hello from wasm\n');
    expect(text).toContain('hello on stderr\n');
  });

  it('keeps appending to the file across runs', async () => {
    const file = path.join(dir, 'twice.log');
    for (const n of [1, 2]) {
      await containerd.ctrOk(['run', '--rm', '--log-uri', `file://${file}`, '--runtime', WASMTS_RUNTIME, TEST_IMAGES.hello.reference, uniqueId(`twice${n}`)]);
    }
    expect((await readFile(file, 'utf8')).match(/hello from wasm/g)).toHaveLength(2);
  });

  it('hands stdout and stderr to a binary:// logger on fds 3 and 4, with its arguments and the container id', async () => {
    const out = path.join(dir, 'binary');
    await import('node:fs/promises').then((fs) => fs.mkdir(out));
    const id = uniqueId('binary');
    const result = await containerd.ctr([
      'run', '--rm', '--log-uri', `binary://${LOGGER}?dir=${out}`, '--runtime', WASMTS_RUNTIME, TEST_IMAGES.hello.reference, id,
    ]);
    expect(result.code).toBe(0);
    await waitForFile(path.join(out, 'finished'), (text) => text === 'done\n');
    expect(await readFile(path.join(out, 'stdout'), 'utf8')).toBe('hello from wasm\n');
    expect(await readFile(path.join(out, 'stderr'), 'utf8')).toBe('hello on stderr\n');
    expect((await readFile(path.join(out, 'args'), 'utf8')).split('\n')).toEqual(['dir', out, '']);
    const env = await readFile(path.join(out, 'env'), 'utf8');
    expect(env).toContain(`CONTAINER_ID=${id}\n`);
    expect(env).toContain(`CONTAINER_NAMESPACE=${containerd.namespace}\n`);
  });

  it("streams a detached task's output to its file:// log while it runs", async () => {
    const file = path.join(dir, 'ticker.log');
    const id = uniqueId('file-d');
    await containerd.ctrOk(['run', '-d', '--log-uri', `file://${file}`, '--runtime', WASMTS_RUNTIME, TEST_IMAGES.ticker.reference, id]);
    try {
      await waitForStatus(containerd, id, 'RUNNING');
      await waitForFile(file, (text) => text.includes('tick 1\n'));
    } finally {
      await removeTask(containerd, id);
    }
  });

  it('fails a run whose logging binary does not exist, naming it', async () => {
    const result = await containerd.ctr([
      'run', '--rm', '--log-uri', 'binary:///nonexistent/logger', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.hello.reference, uniqueId('nologger'),
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('/nonexistent/logger');
  });
});
