/**
 * Start latency: median wall time of `ctr run --rm` of a hello module with
 * wasmts against `ctr run --rm` of `busybox echo` with io.containerd.runc.v2,
 * in the same run, on a private containerd. Prints both and the ratio.
 *
 *   scripts/bench-start [--runs N]
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildImage } from '../../tools/image/image-builder.ts';
import { PrivateContainerd } from '../../test/support/containerd.ts';
import { ensureFixtures, fixturePath, IMAGES_DIR } from '../../test/support/fixtures.ts';
import { writeFile, mkdir } from 'node:fs/promises';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' } } });
const runs = Math.max(10, Number(values.runs));

const WASM_IMAGE = 'docker.io/wasmts/bench-hello:latest';
const LINUX_IMAGE = 'docker.io/wasmts/bench-busybox:latest';

async function writeImages(): Promise<{ wasm: string; linux: string }> {
  await ensureFixtures();
  await mkdir(IMAGES_DIR, { recursive: true });
  const wasm = path.join(IMAGES_DIR, 'bench-hello.tar');
  const linux = path.join(IMAGES_DIR, 'bench-busybox.tar');
  const hello = await buildImage({
    reference: WASM_IMAGE,
    entrypoint: ['/hello.wasm'],
    files: [{ path: '/hello.wasm', data: await readFile(fixturePath('hello.wasm')), mode: 0o755 }],
  });
  await writeFile(wasm, hello.tar);
  const busybox = await buildImage({
    reference: LINUX_IMAGE,
    entrypoint: ['/bin/busybox', 'echo', 'hello from busybox'],
    platform: { os: 'linux', architecture: 'amd64' },
    files: [{ path: '/bin/busybox', data: await readFile('/bin/busybox'), mode: 0o755 }],
  });
  await writeFile(linux, busybox.tar);
  return { wasm, linux };
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const images = await writeImages();
  const containerd = await PrivateContainerd.start({ namespace: 'wasmts-bench' });
  try {
    await containerd.importImage(images.wasm);
    await containerd.importImage(images.linux);
    const cases = [
      { name: 'wasmts (hello.wasm)', runtime: 'io.containerd.wasmts.v1', image: WASM_IMAGE, expect: 'hello from wasm' },
      { name: 'runc   (busybox echo)', runtime: 'io.containerd.runc.v2', image: LINUX_IMAGE, expect: 'hello from busybox' },
    ];
    const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
    let n = 0;
    // Two warm-up rounds, then alternate the runtimes so machine noise hits both alike.
    for (let round = -2; round < runs; round++) {
      for (const c of cases) {
        const id = `bench-${n++}`;
        const started = performance.now();
        const result = await containerd.ctr(['run', '--rm', '--runtime', c.runtime, c.image, id], { timeoutMs: 30_000 });
        const elapsed = performance.now() - started;
        if (result.code !== 0 || !result.stdout.includes(c.expect)) {
          throw new Error(`${c.name}: ctr run failed (${result.code}): ${result.stderr}`);
        }
        if (round >= 0) samples.get(c.name)!.push(elapsed);
      }
    }
    const [wasmts, runc] = cases.map((c) => median(samples.get(c.name)!));
    console.log(`ctr run --rm, median of ${runs} runs each (same containerd ${containerd.address}):`);
    for (const c of cases) {
      const s = samples.get(c.name)!;
      console.log(`  ${c.name}: ${median(s).toFixed(1)} ms  (min ${Math.min(...s).toFixed(1)}, max ${Math.max(...s).toFixed(1)})`);
    }
    console.log(`  ratio wasmts/runc: ${(wasmts! / runc!).toFixed(2)}`);
  } finally {
    await containerd.stop();
  }
}

await main();
