/**
 * The engine boundary on its own, as runwasi tests each engine: tiny .wat
 * guests through WorkerEngine and WorkerInstance (create, start, wait, kill,
 * pause, stats), on the real worker entry, with no containerd and no socket.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ResourceExhaustedError, InvalidArgumentError } from '../../../src/errors.js';
import type { InstanceConfig } from '../../../src/instance/instance.js';
import { WorkerEngine } from '../../../src/instance/worker-engine.js';
import { WorkerPool } from '../../../src/instance/worker-pool.js';
import { threadCpu } from '../../../src/instance/thread-cpu.js';
import { CAT, SPIN, TRAP, exitWith, hello, sleep } from '../wasi/fixtures/guests.js';
import { assemble, fifoFromWriter, tempDir } from '../wasi/helpers.js';

const pool = new WorkerPool(1, new URL('./fixtures/worker-entry.mjs', import.meta.url));
const engine = new WorkerEngine(pool);

afterAll(async () => {
  await pool.close();
});

interface Run {
  config: InstanceConfig;
  stdout: () => string;
  stderr: () => string;
}

/** A config for `wat`: its module in a fresh rootfs, stdout and stderr to files. */
async function guest(wat: string, extra: Partial<InstanceConfig> = {}): Promise<Run> {
  const dir = tempDir('engine-');
  const rootfs = path.join(dir, 'rootfs');
  fs.mkdirSync(rootfs);
  const modulePath = path.join(rootfs, 'guest.wasm');
  fs.writeFileSync(modulePath, await assemble(wat));
  const out = path.join(dir, 'stdout');
  const err = path.join(dir, 'stderr');
  const config: InstanceConfig = {
    id: path.basename(dir),
    module: { kind: 'file', hostPath: modulePath },
    moduleName: '/guest.wasm',
    args: ['/guest.wasm'],
    env: [],
    cwd: '/',
    rootfsPath: rootfs,
    stdio: { stdout: fs.openSync(out, 'w'), stderr: fs.openSync(err, 'w') },
    ...extra,
  };
  return { config, stdout: () => fs.readFileSync(out, 'utf8'), stderr: () => fs.readFileSync(err, 'utf8') };
}

describe('the worker engine', () => {
  it('runs a guest and reports the status it gave proc_exit, after its output', async () => {
    const run = await guest(hello('engine says hi\n'));
    const instance = await engine.create(run.config);
    expect(instance.pid).toBeGreaterThan(0);
    await instance.start();
    expect((await instance.wait()).exitStatus).toBe(0);
    expect(run.stdout()).toBe('engine says hi\n');

    const seven = await engine.create((await guest(exitWith(7))).config);
    await seven.start();
    expect((await seven.wait()).exitStatus).toBe(7);
  });

  it("hands the thread of a guest that ended to the next guest, with none of the first's CPU; a killed guest's thread ends", async () => {
    const first = await engine.create((await guest(hello('first\n'))).config);
    await first.start();
    expect((await first.wait()).exitStatus).toBe(0);
    await first.delete();
    const second = await engine.create((await guest(SPIN)).config);
    // The same host thread runs it: no thread booted for it.
    expect(second.pid).toBe(first.pid);
    // The thread has run the first guest (and booted) before the second got it: whatever the
    // second reports leaves at least the first's whole CPU uncounted on that thread.
    const firstCpu = (await first.stats()).cpuTotalNs;
    const secondCpu = (await second.stats()).cpuTotalNs;
    expect(firstCpu).toBeGreaterThan(0);
    expect(threadCpu(second.pid).totalNs - secondCpu).toBeGreaterThanOrEqual(firstCpu);
    await second.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await second.kill(9);
    expect((await second.wait()).exitStatus).toBe(137);
    await second.delete();
    // Killed mid-loop: its thread is gone, and the next guest gets another.
    const third = await engine.create((await guest(hello('third\n'))).config);
    expect(third.pid).not.toBe(second.pid);
    await third.start();
    expect((await third.wait()).exitStatus).toBe(0);
    await third.delete();
  });

  it('compiles a module once: a second guest of the same bytes reuses it, a memory-capped one gets its own', async () => {
    const wat = hello('shared\n');
    const first = await engine.create((await guest(wat)).config);
    const second = await engine.create((await guest(wat)).config);
    const capped = await engine.create({ ...(await guest(wat)).config, memoryLimitBytes: 4 * 1024 * 1024 });
    expect(first.module?.cached).toBe(false);
    expect(second.module).toEqual({ digest: first.module?.digest, cached: true });
    expect(capped.module).toEqual({ digest: first.module?.digest, cached: false });
    expect(first.module?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    for (const instance of [first, second, capped]) {
      await instance.start();
      expect((await instance.wait()).exitStatus).toBe(0);
    }
  });

  it('runs a module handed over as bytes (an image layer), named by its digest in errors', async () => {
    const run = await guest(hello('from a layer\n'));
    const bytes = await assemble(hello('from a layer\n'));
    const instance = await engine.create({ ...run.config, module: { kind: 'blob', bytes, digest: 'sha256:feed' }, moduleName: 'img@sha256:feed' });
    expect(instance.module).toEqual({ digest: 'sha256:feed', cached: false });
    await instance.start();
    expect((await instance.wait()).exitStatus).toBe(0);
    expect(run.stdout()).toBe('from a layer\n');
    const broken = await guest(hello('x'));
    await expect(engine.create({ ...broken.config, module: { kind: 'blob', bytes: bytes.subarray(0, 20), digest: 'sha256:bad' }, moduleName: 'img@sha256:bad' })).rejects.toThrow(
      /^img@sha256:bad is not a valid WebAssembly module/,
    );
  });

  it('reports a trap as 134, with the trap on the guest stderr', async () => {
    const run = await guest(TRAP);
    const instance = await engine.create(run.config);
    await instance.start();
    expect((await instance.wait()).exitStatus).toBe(134);
    expect(run.stderr()).toMatch(/^wasm trap: unreachable/);
  });

  it('ends a guest that sleeps, reads an idle stdin or spins, at once, with 128 + the signal', async () => {
    const input = fifoFromWriter(tempDir('engine-in-'));
    const cases: [string, Partial<InstanceConfig>][] = [
      [sleep(60_000_000_000n), {}],
      [CAT, { stdio: { stdin: input.readFd } }],
      [SPIN, {}],
    ];
    for (const [wat, extra] of cases) {
      const run = await guest(wat);
      const instance = await engine.create({ ...run.config, ...extra, stdio: { ...run.config.stdio, ...extra.stdio } });
      await instance.start();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const before = performance.now();
      await instance.kill(15);
      const result = await instance.wait();
      expect(result.exitStatus).toBe(143);
      expect(performance.now() - before).toBeLessThan(2_000);
    }
    input.writer.destroy();
  });

  it('pauses a spinning guest where it is, using no CPU, and resumes it', async () => {
    const instance = await engine.create((await guest(SPIN)).config);
    await instance.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await instance.pause();
    const paused = (await instance.stats()).cpuTotalNs;
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stillPaused = (await instance.stats()).cpuTotalNs;
    expect(stillPaused - paused).toBeLessThan(20_000_000);
    await instance.resume();
    // Running again: its CPU time grows (however busy the machine is, within seconds).
    let resumedNs = 0;
    for (let i = 0; i < 50 && resumedNs < 20_000_000; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      resumedNs = (await instance.stats()).cpuTotalNs - stillPaused;
    }
    expect(resumedNs).toBeGreaterThanOrEqual(20_000_000);
    const stats = await instance.stats();
    expect(stats.linearMemoryBytes).toBe(65536);
    await instance.kill(9);
    expect((await instance.wait()).exitStatus).toBe(137);
  });

  it('keeps the kind of a failure from inside the worker: a module that starts above its memory limit is resource exhaustion', async () => {
    const big = '(module (memory (export "memory") 4) (func (export "_start")))';
    await expect(engine.create({ ...(await guest(big)).config, memoryLimitBytes: 65536 })).rejects.toBeInstanceOf(ResourceExhaustedError);
    const noStart = '(module (memory (export "memory") 1))';
    await expect(engine.create((await guest(noStart)).config)).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});
