/**
 * Not one byte lost under Docker Engine 28 and 26: the burst guest's stdout and
 * stderr, for every size and ending, as `docker run` hands them on and as
 * `docker logs` keeps them, byte for byte; and `docker run -i` with an empty
 * stdin ends at once.
 */
import { describe, expect, it } from 'vitest';
import { TEST_IMAGES, uniqueId, WASMTS_RUNTIME } from '../../support/rig.js';
import { DockerClient, type DockerName, matrixDaemon, matrixRequired, useDockerWithImages } from '../../support/runtimes.js';
import { assertSameBytes, ENDING_STATUS, ENDINGS, expectedStderr, expectedStdout, SIZES, splitTrapReport } from '../../support/stdio-pattern.js';

const LABEL = `io.wasmts.test=docker-stdio-${process.pid}`;
const IMAGES = [TEST_IMAGES.stdioBurst, TEST_IMAGES.cat];

const rows = (['docker28', 'docker26'] as const).map((name) => matrixDaemon(name));

function checkStreams(stdout: string, stderr: string, size: number, ending: string, what: string): void {
  const { written, report } = splitTrapReport(stderr);
  assertSameBytes(stdout, expectedStdout(size), `${what}, stdout`);
  assertSameBytes(written, expectedStderr(size), `${what}, stderr`);
  if (ending === 'trap') expect(report).toMatch(/^wasm trap: unreachable/);
  else expect(report).toBe('');
}

describe.each(rows)('$label', (row) => {
  if (row.absentReason !== undefined) {
    it.skipIf(!matrixRequired(row))('is installed', () => {
      throw new Error(row.absentReason);
    });
    return;
  }
  const docker = new DockerClient(row.name as DockerName);

  useDockerWithImages(docker, LABEL, IMAGES);

  for (const ending of ENDINGS) {
    it(`hands on and logs every byte for every size when the guest ends with ${ending}`, async () => {
      for (const size of SIZES) {
        const name = uniqueId(`burst-${ending}`);
        const run = await docker.docker(
          [
            // --network none: on a bridge, the docker CLI adds a warning of its own to stderr on hosts without IP forwarding.
            'run', '--name', name, '--label', LABEL, '--network', 'none', '--runtime', WASMTS_RUNTIME, '--platform', 'wasi/wasm',
            // docker appends these to the image's Entrypoint (/stdio-burst.wasm)
            TEST_IMAGES.stdioBurst.reference, String(size), String(size), ending,
          ],
          { timeoutMs: 120_000 },
        );
        expect(run.code, `${size} bytes, ${ending}: docker run's status`).toBe(ENDING_STATUS[ending]);
        checkStreams(run.stdout, run.stderr, size, ending, `${size} bytes, ${ending}, docker run`);
        const logs = await docker.docker(['logs', name], { timeoutMs: 120_000 });
        expect(logs.code).toBe(0);
        checkStreams(logs.stdout, logs.stderr, size, ending, `${size} bytes, ${ending}, docker logs`);
        await docker.dockerOk(['rm', name]);
      }
    }, 600_000);
  }

  it('ends a guest reading stdin at once under docker run -i with an empty stdin', async () => {
    for (const input of [undefined, '']) {
      const result = await docker.docker(
        ['run', '-i', '--rm', '--label', LABEL, '--network', 'none', '--runtime', WASMTS_RUNTIME, '--platform', 'wasi/wasm', TEST_IMAGES.cat.reference],
        { ...(input === undefined ? {} : { input }), timeoutMs: 30_000 },
      );
      expect(result.timedOut, 'the guest never saw end of file').toBe(false);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('');
    }
  }, 120_000);
});
