/**
 * Density: memory of the shim processes for N long-running containers, wasmts
 * against containerd's runc shim, in the same run on a private containerd, all
 * started with `ctr run -d` and its defaults (a network namespace each).
 * wasmts is measured twice: a daemon per container (each in a group of its
 * own, as before namespaces shared a daemon), and ctr's defaults, where the
 * namespace's shared daemon runs them all.
 * Memory is that of the shim processes, plus, for runc, the container processes
 * themselves (busybox sleep), since a wasm guest lives inside its shim: their RSS
 * summed (which counts shared pages, such as node's or the runc shim's program
 * text, once per process) and their PSS (a shared page divided among its sharers:
 * what they cost the node).
 *
 *   scripts/bench-density [--containers N] [--skip-daemon-each] [--settle SECONDS]
 *
 * Memory is read SECONDS (35) after the last container started: past the 30 s after
 * which a daemon lets its waiting guest workers go, the steady state of a node.
 *
 * --skip-daemon-each leaves out the first (a daemon per container is ~100 MiB each).
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildImage } from '../../tools/image/image-builder.ts';
import { PrivateContainerd } from '../../test/support/containerd.ts';
import { ensureFixtures, fixturePath, IMAGES_DIR } from '../../test/support/fixtures.ts';
import { memoryLine, type ProcessMemory, rssOf, sum } from './process-memory.ts';

const { values } = parseArgs({ options: { containers: { type: 'string', default: '10' }, settle: { type: 'string', default: '35' }, 'skip-daemon-each': { type: 'boolean', default: false } } });
const count = Math.max(2, Number(values.containers));
const settleSeconds = Number(values.settle);

const WASM_IMAGE = 'docker.io/wasmts/bench-ticker:latest';
const LINUX_IMAGE = 'docker.io/wasmts/bench-sleep:latest';

async function writeImages(): Promise<{ wasm: string; linux: string }> {
  await ensureFixtures();
  await mkdir(IMAGES_DIR, { recursive: true });
  const wasm = path.join(IMAGES_DIR, 'bench-ticker.tar');
  const linux = path.join(IMAGES_DIR, 'bench-sleep.tar');
  const ticker = await buildImage({
    reference: WASM_IMAGE,
    entrypoint: ['/ticker.wasm'],
    files: [{ path: '/ticker.wasm', data: await readFile(fixturePath('ticker.wasm')), mode: 0o755 }],
  });
  await writeFile(wasm, ticker.tar);
  const busybox = await buildImage({
    reference: LINUX_IMAGE,
    entrypoint: ['/bin/busybox', 'sleep', '3600'],
    platform: { os: 'linux', architecture: 'amd64' },
    files: [{ path: '/bin/busybox', data: await readFile('/bin/busybox'), mode: 0o755 }],
  });
  await writeFile(linux, busybox.tar);
  return { wasm, linux };
}

async function main(): Promise<void> {
  const images = await writeImages();
  const containerd = await PrivateContainerd.start({ namespace: 'wasmts-bench', env: { WASMTS_SPARE: '0' } });
  const rows: { name: string; memory: ProcessMemory }[] = [];
  try {
    await containerd.importImage(images.wasm);
    await containerd.importImage(images.linux);
    const scenarios = [
      ...(values['skip-daemon-each'] ? [] : [{ name: `wasmts, a daemon each`, runtime: 'io.containerd.wasmts.v1', image: WASM_IMAGE, ownGroup: true }]),
      { name: `wasmts, ctr defaults (shared)`, runtime: 'io.containerd.wasmts.v1', image: WASM_IMAGE, ownGroup: false },
      { name: `runc, ${count} shims + sleeps`, runtime: 'io.containerd.runc.v2', image: LINUX_IMAGE, ownGroup: false },
    ];
    for (const s of scenarios) {
      const ids = Array.from({ length: count }, (_, i) => `density-${rows.length}-${i}`);
      for (const id of ids) {
        const annotation = s.ownGroup ? ['--annotation', `io.containerd.wasmts.v1.group=own-${id}`] : [];
        await containerd.ctrOk(['run', '-d', ...annotation, '--runtime', s.runtime, s.image, id], { timeoutMs: 30_000 });
      }
      await sleep(settleSeconds * 1000); // settled: guests asleep, heaps grown, start-up spares gone
      const shims =
        s.runtime === 'io.containerd.runc.v2'
          ? await rssOf('containerd-shim-runc-v2', containerd.address)
          : await rssOf('dist/main.js', containerd.address);
      const guests = s.runtime === 'io.containerd.runc.v2' ? await rssOf('busybox', 'sleep', '3600') : sum();
      rows.push({ name: s.name, memory: sum(shims, guests) });
      for (const id of ids) {
        await containerd.ctr(['task', 'kill', '-s', 'SIGKILL', id]);
      }
      await sleep(500);
      for (const id of ids) {
        await containerd.ctr(['task', 'delete', id]);
        await containerd.ctr(['container', 'delete', id]);
      }
    }
  } finally {
    await containerd.stop();
  }
  const runc = rows[rows.length - 1]!;
  console.log(`memory of ${count} running containers, ctr run -d defaults, ${settleSeconds} s after the last started (shim processes, and runc's container processes):`);
  for (const row of rows) console.log(memoryLine(row.name, row.memory, runc.memory, count, 'container'));
}

await main();
