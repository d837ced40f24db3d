/**
 * Throughput: tasks per second of `ctr run --rm` with P runs in flight at
 * once, until N have run, for wasmts running hello.wasm and for
 * io.containerd.runc.v2 running `busybox echo`, on one private containerd 1.6
 * in the same run (runtimes alternate by parallelism, so noise hits both).
 * Every run's output is checked. Prints tasks/s and the ratio.
 *
 *   scripts/bench-throughput [--tasks N] [--parallel 4,8]
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeImage } from '../../tools/image/image-builder.ts';
import { PrivateContainerd } from '../../test/support/containerd.ts';
import { ensureFixtures, fixturePath } from '../../test/support/fixtures.ts';

const { values } = parseArgs({ options: { tasks: { type: 'string', default: '100' }, parallel: { type: 'string', default: '4,8' } } });
const tasks = Math.max(10, Number(values.tasks));
const parallelisms = values.parallel.split(',').map(Number).filter((p) => p > 0);

const WASM = 'docker.io/wasmts/bench-hello:latest';
const LINUX = 'docker.io/wasmts/bench-busybox:latest';

interface Case {
  name: string;
  runtime: string;
  image: string;
  expect: string;
}

async function throughput(containerd: PrivateContainerd, c: Case, parallel: number, count = tasks): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      const id = `tp-${process.pid}-${c.runtime.length}-${parallel}-${next++}`;
      const result = await containerd.ctr(['run', '--rm', '--runtime', c.runtime, c.image, id], { timeoutMs: 120_000 });
      if (result.code !== 0 || !result.stdout.includes(c.expect)) throw new Error(`${c.name}: ctr run ${id} failed (${result.code}): ${result.stderr}`);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return count / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  await ensureFixtures();
  const work = await mkdtemp(path.join(tmpdir(), 'wasmts-bench-throughput-'));
  await writeImage(path.join(work, 'hello.tar'), { reference: WASM, entrypoint: ['/hello.wasm'], files: [{ path: '/hello.wasm', data: await readFile(fixturePath('hello.wasm')), mode: 0o755 }] });
  await writeImage(path.join(work, 'busybox.tar'), {
    reference: LINUX,
    entrypoint: ['/bin/busybox', 'echo', 'hello from busybox'],
    platform: { os: 'linux', architecture: 'amd64' },
    files: [{ path: '/bin/busybox', data: await readFile('/bin/busybox'), mode: 0o755 }],
  });
  const containerd = await PrivateContainerd.start({ namespace: 'wasmts-bench' });
  try {
    for (const tar of ['hello.tar', 'busybox.tar']) await containerd.importImage(path.join(work, tar));
    const cases: Case[] = [
      { name: 'wasmts (hello.wasm)', runtime: 'io.containerd.wasmts.v1', image: WASM, expect: 'hello from wasm' },
      { name: 'runc   (busybox echo)', runtime: 'io.containerd.runc.v2', image: LINUX, expect: 'hello from busybox' },
    ];
    // A short warm-up for each (images' snapshots, spare daemons).
    for (const c of cases) await throughput(containerd, c, 2, 6);
    console.log(`ctr run --rm, ${tasks} tasks each (same containerd ${containerd.address}):`);
    for (const parallel of parallelisms) {
      const rates = [];
      for (const c of parallel % 2 === 0 ? cases : [...cases].reverse()) rates.push([c, await throughput(containerd, c, parallel)] as const);
      const byName = new Map(rates.map(([c, rate]) => [c.name, rate]));
      for (const c of cases) console.log(`  parallelism ${parallel}, ${c.name}: ${byName.get(c.name)!.toFixed(2)} tasks/s`);
      console.log(`  parallelism ${parallel}, ratio wasmts/runc: ${(byName.get(cases[0]!.name)! / byName.get(cases[1]!.name)!).toFixed(2)}`);
    }
  } finally {
    await containerd.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
