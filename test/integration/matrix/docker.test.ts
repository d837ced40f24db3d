/**
 * wasm images under Docker Engine 28 (on containerd 2.x) and 26 (on
 * containerd 1.7), both with the containerd image store: load, run, logs,
 * stop, rm, and the runtime alias from daemon.json. Every docker command has
 * a time bound.
 */
import { describe, expect, it } from 'vitest';
import { TEST_IMAGES, uniqueId, WASMTS_RUNTIME } from '../../support/rig.js';
import {
  DOCKER_CONTAINERD,
  DockerClient,
  type DockerName,
  MatrixCtr,
  matrixDaemon,
  matrixRequired,
  pollUntil,
  useDockerWithImages,
} from '../../support/runtimes.js';

/** Marks every container this run creates, so that what a failed test left behind is removed. */
const LABEL = `io.wasmts.test=matrix-${process.pid}`;
const IMAGES = [TEST_IMAGES.hello, TEST_IMAGES.exitCode, TEST_IMAGES.ticker];

const rows = (['docker28', 'docker26'] as const).map((name) => matrixDaemon(name));
for (const row of rows) {
  if (row.absentReason !== undefined && !matrixRequired(row)) console.warn(`[matrix] skipping ${row.label}: ${row.absentReason}`);
}

describe.each(rows)('$label', (row) => {
  if (row.absentReason !== undefined) {
    it.skipIf(!matrixRequired(row))('is installed', () => {
      throw new Error(row.absentReason);
    });
    return;
  }

  const name = row.name as DockerName;
  const docker = new DockerClient(name);

  /** `docker run` of a wasm image through wasmts; `runtime` may be the daemon.json alias. */
  function runArgs(options: { detach?: boolean; runtime?: string; name?: string; extra?: string[] }, image: string, ...args: string[]) {
    return [
      'run',
      ...(options.detach === true ? ['-d'] : ['--rm']),
      '--label', LABEL,
      ...(options.name === undefined ? [] : ['--name', options.name]),
      '--runtime', options.runtime ?? WASMTS_RUNTIME,
      '--platform', 'wasi/wasm',
      ...(options.extra ?? []),
      image,
      ...args,
    ];
  }

  async function status(container: string): Promise<string> {
    return (await docker.dockerOk(['ps', '-a', '--filter', `name=^${container}$`, '--format', '{{.Status}}'])).trim();
  }

  async function startTicker(container: string, extra: string[] = []): Promise<void> {
    await docker.dockerOk(runArgs({ detach: true, name: container, extra }, TEST_IMAGES.ticker.reference));
    await pollUntil(() => docker.docker(['logs', container]), (r) => r.stdout.includes('tick 0'), 10_000, `${container} printed no tick`);
  }

  useDockerWithImages(docker, LABEL, IMAGES);

  it('is the Docker Engine the row is named after, on the containerd image store', async () => {
    expect((await docker.dockerOk(['version', '--format', '{{.Server.Version}}'])).trim()).toMatch(row.expectedVersion);
    expect(await docker.dockerOk(['info', '--format', '{{json .DriverStatus}}'])).toContain('io.containerd.snapshotter.v1');
  });

  it('loads the wasm image as platform wasi/wasm', async () => {
    const platform = await docker.dockerOk(['image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}', TEST_IMAGES.hello.reference]);
    expect(platform.trim()).toBe('wasi/wasm');
  });

  it("docker run --rm prints the module's output and exits 0", async () => {
    const result = await docker.docker(runArgs({}, TEST_IMAGES.hello.reference));
    expect(result.stdout).toBe('hello from wasm\n');
    expect(result.stderr).toContain('hello on stderr');
    expect(result.code).toBe(0);
  });

  it("docker run returns the module's exit code", async () => {
    // docker appends the arguments to the image's Entrypoint (/exit-code.wasm)
    const result = await docker.docker(runArgs({}, TEST_IMAGES.exitCode.reference, '7'));
    expect(result.code).toBe(7);
  });

  it('runs through the wasmts alias registered in daemon.json', async () => {
    const result = await docker.docker(runArgs({ runtime: 'wasmts' }, TEST_IMAGES.hello.reference));
    expect(result.stdout).toBe('hello from wasm\n');
    expect(result.code).toBe(0);
  });

  it('docker logs -f streams the output of a detached module until docker stop ends it with SIGTERM', async () => {
    const container = uniqueId('logs');
    await startTicker(container);
    const logs = docker.spawn(['logs', '--follow', container], 30_000);
    try {
      // a tick printed after `logs -f` attached arrives while the module runs
      await pollUntil(async () => logs.output(), (text) => text.includes('tick 2'), 10_000, 'docker logs -f showed no "tick 2"');
      expect(await status(container)).toMatch(/^Up /);
      const stopped = performance.now();
      await docker.dockerOk(['stop', container], { timeoutMs: 20_000 });
      expect(performance.now() - stopped).toBeLessThan(5_000); // SIGTERM ends it; no wait for the 10 s timeout
      expect(await logs.exited).toBe(0);
    } finally {
      logs.kill();
    }
    expect(await status(container)).toMatch(/^Exited \(143\)/);
    await docker.dockerOk(['rm', container]);
  });

  it('docker stop sends SIGKILL after the timeout when the stop signal does not end the module', async () => {
    const container = uniqueId('stop');
    await startTicker(container);
    const stopped = performance.now();
    // SIGWINCH is ignored by default, as by a Linux process.
    await docker.dockerOk(['stop', '--signal', 'SIGWINCH', '--time', '1', container], { timeoutMs: 20_000 });
    const elapsed = performance.now() - stopped;
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(8_000);
    expect(await status(container)).toMatch(/^Exited \(137\)/);
    expect((await docker.dockerOk(['inspect', '--format', '{{.State.ExitCode}}', container])).trim()).toBe('137');
    await docker.dockerOk(['rm', container]);
  });

  it('docker rm -f removes a running container and its containerd task', async () => {
    const container = uniqueId('rm');
    await startTicker(container);
    const id = (await docker.dockerOk(['inspect', '--format', '{{.Id}}', container])).trim();
    await docker.dockerOk(['rm', '--force', container], { timeoutMs: 20_000 });
    expect(await status(container)).toBe('');
    const containerd = new MatrixCtr(DOCKER_CONTAINERD[name], 'moby');
    expect((await containerd.ctrOk(['tasks', 'ls', '-q'])).split('\n')).not.toContain(id);
    expect((await containerd.ctrOk(['containers', 'ls', '-q'])).split('\n')).not.toContain(id);
  });
});
