/**
 * Not one byte lost: a guest writes known patterns to stdout and stderr and
 * ends in each way a guest can; what `ctr run` hands on — to a pipe, to a file,
 * slowly, or into a file:// log — is compared byte for byte (sha256), with the
 * exit status. containerd 1.6's ctr stops reading its FIFOs as soon as Wait
 * returns, so these fail whenever the exit is reported before the output has
 * reached the client. A killed guest may lose a write that had not returned,
 * never one that had.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_IMAGES, uniqueId, useContainerd, WASMTS_RUNTIME } from '../support/rig.js';
import {
  assertMergedStreams,
  assertSameBytes,
  ENDING_STATUS,
  ENDINGS,
  type Ending,
  expectedStderr,
  expectedStdout,
  SIZES,
  splitTrapReport,
} from '../support/stdio-pattern.js';
import { runCaptured } from '../support/captured-run.js';
import { removeTask, waitForFile } from '../support/tasks.js';
import { REPO_ROOT } from '../support/fixtures.js';

const containerd = useContainerd();
const BINARY_LOGGER = path.join(REPO_ROOT, 'test', 'fixtures', 'binary-logger.sh');
/** Racy cases run this many times each. */
const REPEATS = 20;

function ctrArgs(id: string, size: number, errSize: number, ending: Ending | 'hang', extra: string[] = []): string[] {
  return [
    '--address', containerd.address, '--namespace', containerd.namespace,
    'run', '--rm', ...extra, '--runtime', WASMTS_RUNTIME, TEST_IMAGES.stdioBurst.reference, id,
    '/stdio-burst.wasm', String(size), String(errSize), ending,
  ];
}

const ctrEnv = { ...process.env, CONTAINERD_SNAPSHOTTER: containerd.info.snapshotter };

/** One `ctr run --rm` of the burst guest into `sink`; checks status and both streams. */
async function runAndCheck(size: number, ending: Ending, sink: 'pipe' | 'file' | 'slow-pipe'): Promise<void> {
  const what = `${size} bytes, ${ending}, ctr to a ${sink}`;
  const result = await runCaptured(containerd.ctrBinary, ctrArgs(uniqueId('burst'), size, size, ending), sink, { env: ctrEnv, timeoutMs: 120_000 });
  const { written, report } = splitTrapReport(result.stderr);
  expect(result.code, `${what}: exit status (stderr tail: ${result.stderr.slice(-300)})`).toBe(ENDING_STATUS[ending]);
  assertSameBytes(result.stdout, expectedStdout(size), `${what}, stdout`);
  assertSameBytes(written, expectedStderr(size), `${what}, stderr`);
  if (ending === 'trap') expect(report).toMatch(/^wasm trap: unreachable/);
  else expect(report).toBe('');
}

describe('ctr run --rm hands on every byte the guest wrote', () => {
  for (const sink of ['pipe', 'file'] as const) {
    for (const ending of ENDINGS) {
      it(`to a ${sink}, for every size, when the guest ends with ${ending}`, async () => {
        for (const size of SIZES) await runAndCheck(size, ending, sink);
      }, 300_000);
    }
  }

  it(`to a pipe, ${REPEATS} times each for 1,000,000 bytes and every ending (the race right before exit)`, async () => {
    for (const ending of ENDINGS) {
      for (let i = 0; i < REPEATS; i++) await runAndCheck(1_000_000, ending, 'pipe');
    }
  }, 600_000);

  it(`to a pipe, ${REPEATS} times for 65537 bytes and a trap right after writing`, async () => {
    for (let i = 0; i < REPEATS; i++) await runAndCheck(65537, 'trap', 'pipe');
  }, 300_000);

  it('to a slow reader, for 1,000,000 bytes, whether the guest returns or traps', async () => {
    await runAndCheck(1_000_000, 'return', 'slow-pipe');
    await runAndCheck(1_000_000, 'trap', 'slow-pipe');
  }, 300_000);
});

describe('ctr run --log-uri file:// holds every byte the guest wrote', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wasmts-fidelity-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const ending of ENDINGS) {
    it(`for every size, when the guest ends with ${ending}, each stream in its own order`, async () => {
      for (const size of SIZES) {
        const log = path.join(dir, `${ending}-${size}.log`);
        const what = `${size} bytes, ${ending}, file:// log`;
        const result = await runCaptured(
          containerd.ctrBinary,
          ctrArgs(uniqueId('burst-log'), size, size, ending, ['--log-uri', `file://${log}`]),
          'pipe',
          { env: ctrEnv, timeoutMs: 120_000 },
        );
        expect(result.code, `${what}: exit status`).toBe(ENDING_STATUS[ending]);
        const { written, report } = splitTrapReport(await readFile(log, 'latin1'));
        assertMergedStreams(written, size, size, what);
        if (ending === 'trap') expect(report).toMatch(/^wasm trap: unreachable/);
      }
    }, 300_000);
  }
});

describe('ctr task kill', () => {
  it('still hands on every byte a killed guest had written, even to a slow reader', async () => {
    const id = uniqueId('burst-kill');
    const size = 1_000_000;
    const child = spawn(containerd.ctrBinary, ctrArgs(id, size, 0, 'hang'), { stdio: ['ignore', 'pipe', 'pipe'], env: ctrEnv });
    const stdout: Buffer[] = [];
    let stderr = '';
    // A slow reader: 16 KiB every 10 ms, so the pipe still holds bytes when the kill comes.
    child.stdout.pause();
    const tick = setInterval(() => {
      const chunk = child.stdout.read(16 * 1024) as Buffer | null;
      if (chunk !== null) stdout.push(chunk);
    }, 10);
    child.stdout.on('readable', () => {});
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('latin1')));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      // `written` comes once the guest's last write to stdout returned: all of it was accepted.
      await waitFor(() => stderr.includes('written\n'), 60_000, `${id} never finished writing; stderr: ${stderr}`);
      await containerd.ctrOk(['task', 'kill', '--signal', 'SIGKILL', id]);
      expect(await exited).toBe(137);
      for (let chunk = child.stdout.read() as Buffer | null; chunk !== null; chunk = child.stdout.read() as Buffer | null) stdout.push(chunk);
      assertSameBytes(Buffer.concat(stdout).toString('latin1'), expectedStdout(size), 'stdout of a killed guest');
    } finally {
      clearInterval(tick);
      child.kill('SIGKILL');
      await removeTask(containerd, id);
    }
  }, 120_000);
});

async function waitFor(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(what);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('ctr run --log-uri binary:// hands the logger every byte the guest wrote', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wasmts-fidelity-binary-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const ending of ENDINGS) {
    it(`on fds 3 and 4, for every size, when the guest ends with ${ending}`, async () => {
      for (const size of SIZES) {
        const out = path.join(dir, `${ending}-${size}`);
        await mkdir(out);
        const what = `${size} bytes, ${ending}, binary:// logger`;
        const result = await runCaptured(
          containerd.ctrBinary,
          ctrArgs(uniqueId('burst-bin'), size, size, ending, ['--log-uri', `binary://${BINARY_LOGGER}?dir=${out}`]),
          'pipe',
          { env: ctrEnv, timeoutMs: 120_000 },
        );
        expect(result.code, `${what}: exit status`).toBe(ENDING_STATUS[ending]);
        await waitForFile(path.join(out, 'finished'), (text) => text === 'done\n', 30_000);
        const { written, report } = splitTrapReport(await readFile(path.join(out, 'stderr'), 'latin1'));
        assertSameBytes(await readFile(path.join(out, 'stdout'), 'latin1'), expectedStdout(size), `${what}, stdout`);
        assertSameBytes(written, expectedStderr(size), `${what}, stderr`);
        if (ending === 'trap') expect(report).toMatch(/^wasm trap: unreachable/);
      }
    }, 300_000);
  }
});
