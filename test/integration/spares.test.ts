/**
 * Warm spare daemons (for containers that get a daemon of their own: a group,
 * a given network namespace, a guest that needs its own network) belong to the
 * containerd that started them: two containerds on one host each get their
 * own, never more than one per containerd and network kind, and a spare leaves
 * once its containerd is gone. The idle period of the runtime options also
 * ends a namespace's shared daemon.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PrivateContainerd, WASMTS_RUNTIME } from '../support/containerd.js';
import { IMAGES_DIR } from '../support/fixtures.js';
import { TEST_IMAGES } from '../support/images.js';
import { until } from '../support/until.js';
import { shimsOf } from '../support/rig-cleanup.js';
import { type Spare, spares } from '../support/spares.js';

const started: PrivateContainerd[] = [];

afterAll(async () => {
  for (const containerd of started) await containerd.stop();
});

async function containerdWithHello(): Promise<PrivateContainerd> {
  const containerd = await PrivateContainerd.start({ namespace: 'wasmts-spares' });
  started.push(containerd);
  await containerd.importImage(path.join(IMAGES_DIR, `${TEST_IMAGES.hello.name}.tar`));
  return containerd;
}

describe('spare daemons', () => {
  it('belong to the containerd that started them, one per network kind, and leave when it is gone', async () => {
    const first = await containerdWithHello();
    const second = await containerdWithHello();
    // A group of its own gives each run a daemon of its own (a namespace's containers share one otherwise).
    const runHello = async (containerd: PrivateContainerd, id: string, network: string[]) => {
      const result = await containerd.ctr(['run', '--rm', ...network, '--annotation', `io.containerd.wasmts.v1.group=${id}`, '--runtime', WASMTS_RUNTIME, TEST_IMAGES.hello.reference, id]);
      expect(result.stdout).toBe('hello from wasm\n');
    };
    for (let i = 0; i < 3; i++) {
      for (const network of [[], ['--net-host']]) {
        await runHello(first, `spare-a-${i}-${network.length}`, network);
        await runHello(second, `spare-b-${i}-${network.length}`, network);
      }
    }
    const of = (containerd: PrivateContainerd, all: Spare[]) => all.filter((s) => s.containerd === containerd.address);
    const both = await until('a spare for each containerd', async () => {
      const all = await spares();
      return of(first, all).length > 0 && of(second, all).length > 0 ? all : undefined;
    }, 10_000);
    for (const containerd of [first, second]) {
      const mine = of(containerd, both);
      // `ctr run` gives each container a network namespace of its own: its spares wait in one; --net-host's in the host's.
      expect(new Set(mine.map((s) => s.network)).size).toBe(mine.length);
      expect(mine.every((s) => s.network === 'new' || s.network === 'host')).toBe(true);
    }

    // containerd goes away for good: its spares follow (a few checks, seconds apart); the other's stay.
    await first.stop();
    await until("the first containerd's spares to exit", async () => (of(first, await spares()).length === 0 ? true : undefined), 40_000);
    expect(of(second, await spares()).length).toBeGreaterThan(0);
    await second.stop();
    await until("the second containerd's spares to exit", async () => (of(second, await spares()).length === 0 ? true : undefined), 40_000);
  }, 180_000);

  it('leave after the idle period the runtime options set, as does the shared daemon, and a wrong options file fails the task, naming the file', async () => {
    const containerd = await containerdWithHello();
    const dir = await mkdtemp(path.join(tmpdir(), 'wasmts-runtime-options-'));
    try {
      const options = path.join(dir, 'wasmts.toml');
      await writeFile(options, 'SpareIdleSeconds = 2\n');
      const run = await containerd.ctr(['run', '--rm', '--runtime-config-path', options, '--runtime', WASMTS_RUNTIME, TEST_IMAGES.hello.reference, 'idle-options']);
      expect(run.stdout).toBe('hello from wasm\n');
      const grouped = await containerd.ctr(['run', '--rm', '--runtime-config-path', options, '--annotation', 'io.containerd.wasmts.v1.group=own', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.hello.reference, 'idle-options-own']);
      expect(grouped.stdout).toBe('hello from wasm\n');
      const mine = async () => (await spares()).filter((s) => s.containerd === containerd.address);
      // A daemon of its own starts a spare ahead of need; told 2 s by the options (not the default 600), it leaves.
      await until('a spare for the containerd', async () => ((await mine()).length > 0 ? true : undefined), 10_000);
      await until('the spares to leave after their idle period', async () => ((await mine()).length === 0 ? true : undefined), 20_000);
      // The namespace's shared daemon, which ran the first container, is gone as well, its containerd still up.
      await until('the shared daemon to leave after its idle period', async () => ((await shimsOf(containerd.info)).length === 0 ? true : undefined), 20_000);

      await writeFile(options, 'SpareIdleSecs = 2\n');
      const wrong = await containerd.ctr(['run', '--rm', '--runtime-config-path', options, '--runtime', WASMTS_RUNTIME, TEST_IMAGES.hello.reference, 'wrong-options']);
      expect(wrong.code).not.toBe(0);
      expect(wrong.stderr).toContain(`wasmts runtime options in ${options}: unknown key SpareIdleSecs (known: SpareIdleSeconds)`);
      await containerd.ctr(['container', 'delete', 'wrong-options']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
