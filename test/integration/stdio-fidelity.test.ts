/**
 * Not one byte lost: a guest writes known patterns to stdout and stderr and
 * ends in each way a guest can; what `ctr run` hands on — to a pipe, to a file,
 * slowly, or into a file:// log — is compared byte for byte (sha256), with the
 * exit status. containerd 1.6's ctr stops reading its FIFOs as soon as Wait
 * returns, so these fail whenever the exit is reported before the output has
 * reached the client.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
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
  runCaptured,
  SIZES,
  splitTrapReport,
} from '../support/stdio-pattern.js';

const containerd = useContainerd();
/** Racy cases run this many times each. */
const REPEATS = 20;

function ctrArgs(id: string, size: number, ending: Ending, extra: string[] = []): string[] {
  return [
    '--address', containerd.address, '--namespace', containerd.namespace,
    'run', '--rm', ...extra, '--runtime', WASMTS_RUNTIME, TEST_IMAGES.stdioBurst.reference, id,
    '/stdio-burst.wasm', String(size), String(size), ending,
  ];
}

const ctrEnv = { ...process.env, CONTAINERD_SNAPSHOTTER: containerd.info.snapshotter };

/** One `ctr run --rm` of the burst guest into `sink`; checks status and both streams. */
async function runAndCheck(size: number, ending: Ending, sink: 'pipe' | 'file' | 'slow-pipe'): Promise<void> {
  const what = `${size} bytes, ${ending}, ctr to a ${sink}`;
  const result = await runCaptured(containerd.ctrBinary, ctrArgs(uniqueId('burst'), size, ending), sink, { env: ctrEnv, timeoutMs: 120_000 });
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
          ctrArgs(uniqueId('burst-log'), size, ending, ['--log-uri', `file://${log}`]),
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
