/**
 * `docker run -v` and `--mount type=tmpfs` reach the guest under Docker Engine
 * 28: a read-write volume, a read-only one, a tmpfs, and the /etc/hosts Docker
 * mounts into every container.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_IMAGES, WASMTS_RUNTIME } from '../../support/rig.js';
import { DockerClient, type DockerName, matrixDaemon, matrixRequired, useDockerWithImages } from '../../support/runtimes.js';

const LABEL = `io.wasmts.test=docker-mounts-${process.pid}`;
const row = matrixDaemon('docker28');

let top: string;

beforeAll(() => {
  top = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmts-docker-mounts-'));
  fs.mkdirSync(path.join(top, 'rw'));
  fs.mkdirSync(path.join(top, 'ro'));
  fs.writeFileSync(path.join(top, 'ro', 'config.txt'), 'setting=1\n');
});

afterAll(() => {
  fs.rmSync(top, { recursive: true, force: true });
});

describe(`${row.label}: mounts`, () => {
  if (row.absentReason !== undefined) {
    it.skipIf(!matrixRequired(row))('is installed', () => {
      throw new Error(row.absentReason);
    });
    return;
  }
  const docker = new DockerClient(row.name as DockerName);
  useDockerWithImages(docker, LABEL, [TEST_IMAGES.files]);

  function run(flags: string[], args: string[]) {
    return docker.docker(
      ['run', '--rm', '--label', LABEL, '--network', 'none', '--runtime', WASMTS_RUNTIME, '--platform', 'wasi/wasm', ...flags, TEST_IMAGES.files.reference, ...args],
      { timeoutMs: 60_000 },
    );
  }

  it('shows docker run -v volumes read-write and read-only, and a --mount type=tmpfs', async () => {
    const result = await run(
      ['-v', `${path.join(top, 'rw')}:/data`, '-v', `${path.join(top, 'ro')}:/etc/app:ro`, '--mount', 'type=tmpfs,dst=/scratch'],
      [
        'cat', '/etc/app/config.txt', 'write', '/data/out.txt', 'from docker', 'write', '/etc/app/config.txt', 'x',
        'write', '/scratch/t', 'temp', 'ls', '/scratch',
      ],
    );
    expect(result.stdout).toBe('setting=1\nwrote /data/out.txt\nwrite /etc/app/config.txt: Read-only file system\nwrote /scratch/t\nt\n');
    expect(result.code).toBe(1);
    expect(fs.readFileSync(path.join(top, 'rw', 'out.txt'), 'utf8')).toBe('from docker\n');
    expect(fs.readFileSync(path.join(top, 'ro', 'config.txt'), 'utf8')).toBe('setting=1\n');
  });

  it('shows the /etc/hosts and /etc/hostname Docker writes for the container', async () => {
    const result = await run(['--hostname', 'wasm-box', '--add-host', 'db.internal:10.9.8.7'], ['cat', '/etc/hostname', 'cat', '/etc/hosts']);
    expect(result.code).toBe(0);
    expect(result.stdout.startsWith('wasm-box\n')).toBe(true);
    expect(result.stdout).toMatch(/^10\.9\.8\.7\s+db\.internal$/m);
  });
});
