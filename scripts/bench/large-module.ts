/**
 * Start of a large module: median wall time of `ctr run --rm` of the SQLite
 * shell answering one query (`select 1+1`), on private containerds, in one run:
 *
 * - runc: the same shell built natively (static), io.containerd.runc.v2;
 * - wasmts, a daemon per container (a group of its own): every start compiles;
 * - wasmts with ctr's defaults: the namespace's shared daemon, which keeps
 *   compiled modules between containers as a group's daemon does;
 * - wasmts, one daemon group (a running task keeps its daemon): the first
 *   start compiles, every later one takes the compiled module from the cache;
 *   with WASMTS_MODULE_CACHE_MB=0 (no cache, as before it existed) each compiles;
 *   spare daemons on, as by default;
 * - the same shell as a wasm OCI artifact (its module read from the content store).
 *
 *   scripts/bench-large-module [--runs N]
 */
import { readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeArtifact } from '../../tools/image/artifact-builder.ts';
import { writeImage } from '../../tools/image/image-builder.ts';
import { PrivateContainerd } from '../../test/support/containerd.ts';
import { ensureFixtures, fixturePath, REPO_ROOT } from '../../test/support/fixtures.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '9' } } });
const runs = Math.max(5, Number(values.runs));

const BENCH = path.join(REPO_ROOT, 'build', 'bench');
const WASM_IMAGE = 'docker.io/wasmts/bench-sqlite:latest';
const ARTIFACT = 'docker.io/wasmts/bench-sqlite-artifact:latest';
const LINUX_IMAGE = 'docker.io/wasmts/bench-sqlite-native:latest';
const TICKER_IMAGE = 'docker.io/wasmts/bench-ticker:latest';
const QUERY = ['select 1+1;'];
const WASMTS = 'io.containerd.wasmts.v1';
const IMAGE_LABEL = 'io.containerd.wasmts.v1.image';
const GROUP_ANNOTATION = 'io.containerd.wasmts.v1.group';

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function writeImages(dir: string): Promise<string[]> {
  await ensureFixtures();
  const wasm = await readFile(path.join(BENCH, 'sqlite3.wasm'));
  const tars = [path.join(dir, 'sqlite.tar'), path.join(dir, 'artifact.tar'), path.join(dir, 'native.tar'), path.join(dir, 'ticker.tar')];
  await writeImage(tars[0]!, { reference: WASM_IMAGE, entrypoint: ['/sqlite3.wasm'], files: [{ path: '/sqlite3.wasm', data: wasm, mode: 0o755 }] });
  await writeArtifact(tars[1]!, { reference: ARTIFACT, configVersion: 'v1', layers: [{ bytes: wasm }] });
  await writeImage(tars[2]!, {
    reference: LINUX_IMAGE,
    entrypoint: ['/sqlite3'],
    platform: { os: 'linux', architecture: 'amd64' },
    files: [{ path: '/sqlite3', data: await readFile(path.join(BENCH, 'sqlite3-native')), mode: 0o755 }],
  });
  await writeImage(tars[3]!, { reference: TICKER_IMAGE, entrypoint: ['/ticker.wasm'], files: [{ path: '/ticker.wasm', data: await readFile(fixturePath('ticker.wasm')), mode: 0o755 }] });
  return tars;
}

interface Case {
  name: string;
  args: (id: string) => string[];
  /** Runs to throw away first (the first start of a group is its compile). */
  warmup: number;
}

async function measure(containerd: PrivateContainerd, c: Case, count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = -c.warmup; i < count; i++) {
    const id = `bench-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const started = performance.now();
    const result = await containerd.ctr(['run', '--rm', ...c.args(id)], { timeoutMs: 60_000 });
    const elapsed = performance.now() - started;
    if (result.code !== 0 || result.stdout !== '2\n') throw new Error(`${c.name}: ctr run failed (${result.code}): ${result.stdout}${result.stderr}`);
    if (i >= 0) samples.push(elapsed);
  }
  return samples;
}

/** Runs `body` with a ticker task holding `group`'s daemon, so that every container of the group meets the same daemon. */
async function withGroup<T>(containerd: PrivateContainerd, group: string, body: () => Promise<T>): Promise<T> {
  const holder = `holder-${group}`;
  await containerd.ctrOk(['run', '-d', '--annotation', `${GROUP_ANNOTATION}=${group}`, '--runtime', WASMTS, TICKER_IMAGE, holder]);
  try {
    return await body();
  } finally {
    await containerd.ctr(['task', 'kill', '-s', 'SIGKILL', holder]);
    await containerd.ctr(['task', 'delete', '--force', holder]);
    await containerd.ctr(['container', 'delete', holder]);
  }
}

async function phase(label: string, env: Record<string, string>, tars: string[], rootfs: string): Promise<Map<string, number[]>> {
  const containerd = await PrivateContainerd.start({ namespace: 'wasmts-bench', env });
  const results = new Map<string, number[]>();
  try {
    for (const tar of tars) {
      // An artifact cannot be unpacked (containerd 1.6 fails on it); the others are unpacked for their snapshots.
      const unpack = tar === tars[1] ? ['--no-unpack'] : [];
      await containerd.ctrOk(['images', 'import', ...unpack, '--all-platforms', tar], { timeoutMs: 120_000 });
    }
    const grouped = (group: string) => ['--annotation', `${GROUP_ANNOTATION}=${group}`];
    const cases: Case[] = [
      { name: 'runc, native sqlite3', args: (id) => ['--runtime', 'io.containerd.runc.v2', LINUX_IMAGE, id, '/sqlite3', ':memory:', ...QUERY], warmup: 1 },
      { name: 'wasmts, a daemon each (first start)', args: (id) => [...grouped(id), '--runtime', WASMTS, WASM_IMAGE, id, '/sqlite3.wasm', ':memory:', ...QUERY], warmup: 1 },
      { name: 'wasmts, ctr defaults (shared daemon)', args: (id) => ['--runtime', WASMTS, WASM_IMAGE, id, '/sqlite3.wasm', ':memory:', ...QUERY], warmup: 1 },
    ];
    for (const c of cases) results.set(c.name, await measure(containerd, c, runs));
    const group = `g${process.pid}`;
    await withGroup(containerd, group, async () => {
      const c: Case = { name: 'wasmts, one daemon (second start)', args: (id) => [...grouped(group), '--runtime', WASMTS, WASM_IMAGE, id, '/sqlite3.wasm', ':memory:', ...QUERY], warmup: 1 };
      results.set(c.name, await measure(containerd, c, runs));
      const a: Case = {
        name: 'wasmts, one daemon, artifact (second start)',
        args: (id) => [...grouped(group), '--rootfs', '--label', `${IMAGE_LABEL}=${ARTIFACT}`, '--runtime', WASMTS, rootfs, id, 'sqlite3', ':memory:', ...QUERY],
        warmup: 1,
      };
      results.set(a.name, await measure(containerd, a, runs));
    });
  } finally {
    await containerd.stop();
  }
  console.log(`${label}: done`);
  return results;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'wasmts-bench-large-'));
  try {
    const tars = await writeImages(dir);
    const wasmBytes = (await readFile(path.join(BENCH, 'sqlite3.wasm'))).length;
    const before = await phase('without the compile cache (WASMTS_MODULE_CACHE_MB=0)', { WASMTS_MODULE_CACHE_MB: '0' }, tars, dir);
    const after = await phase('with the compile cache (default)', {}, tars, dir);
    console.log(`\nctr run --rm of the SQLite shell (${(wasmBytes / 1024 / 1024).toFixed(1)} MiB of wasm) answering "select 1+1", median of ${runs} runs each:`);
    for (const [label, results] of [['no compile cache', before], ['compile cache', after]] as const) {
      const runc = median(results.get('runc, native sqlite3')!);
      for (const [name, samples] of results) {
        const m = median(samples);
        console.log(`  [${label}] ${name.padEnd(46)} ${m.toFixed(1).padStart(7)} ms  (min ${Math.min(...samples).toFixed(1)}, max ${Math.max(...samples).toFixed(1)})  ratio to runc ${(m / runc).toFixed(2)}`);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
