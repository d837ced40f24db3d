/**
 * HTTP server throughput: wrk against test/fixtures/http-server.c compiled to
 * wasm and run by wasmts (`ctr run -d --net-host`, private containerd), and
 * against the same source compiled natively with gcc, alternating rounds so
 * machine noise hits both alike. Prints requests/s, p50 and p99 latency of the
 * best round of each, and the ratios.
 *
 *   scripts/bench-http [--duration S] [--connections N] [--threads N] [--rounds N] [--mode poll|blocking]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { writeImage } from '../../tools/image/image-builder.ts';
import { PrivateContainerd } from '../../test/support/containerd.ts';
import { ensureFixtures, fixturePath, IMAGES_DIR } from '../../test/support/fixtures.ts';
import { freePort, waitForHttp } from '../../test/support/net.ts';
import { runCommand } from '../../test/support/run-command.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    threads: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '2' },
    mode: { type: 'string', default: 'poll' },
  },
});
const clamp = (text: string, min: number, max: number): number => Math.min(max, Math.max(min, Math.floor(Number(text) || min)));
const duration = clamp(values.duration, 1, 60);
const connections = clamp(values.connections, 1, 1000);
const threads = clamp(values.threads, 1, Math.min(connections, 16));
const rounds = clamp(values.rounds, 1, 5);
const mode = values.mode === 'blocking' ? 'blocking' : 'poll';

const IMAGE = 'docker.io/wasmts/bench-http-server:latest';

interface Result {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: string;
}

/** wrk's latency cells: `738.00us`, `1.12ms`, `2.01s`. */
function milliseconds(cell: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(cell);
  if (match === null) throw new Error(`cannot read wrk latency ${cell}`);
  const value = Number(match[1]);
  return { us: value / 1000, ms: value, s: value * 1000, m: value * 60_000 }[match[2] as 'us' | 'ms' | 's' | 'm'];
}

async function wrk(port: number): Promise<Result> {
  const args = [`-t${threads}`, `-c${connections}`, `-d${duration}s`, '--latency', `http://127.0.0.1:${port}/`];
  const result = await runCommand('wrk', args, { timeoutMs: (duration + 30) * 1000 });
  if (result.code !== 0) throw new Error(`wrk ${args.join(' ')} failed: ${result.stderr}`);
  const out = result.stdout;
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out)?.[1];
  const p50 = /^\s+50%\s+(\S+)/m.exec(out)?.[1];
  const p99 = /^\s+99%\s+(\S+)/m.exec(out)?.[1];
  if (rps === undefined || p50 === undefined || p99 === undefined) throw new Error(`cannot read wrk's output:\n${out}`);
  const errors = /Socket errors:.*|Non-2xx.*/g;
  return { requestsPerSecond: Number(rps), p50Ms: milliseconds(p50), p99Ms: milliseconds(p99), errors: (out.match(errors) ?? []).join('; ') };
}

function best(results: Result[]): Result {
  return results.reduce((a, b) => (b.requestsPerSecond > a.requestsPerSecond ? b : a));
}

async function startNative(port: number): Promise<ChildProcess> {
  const child = spawn(fixturePath('http-server.native'), [String(port), '127.0.0.1', mode], { stdio: 'ignore' });
  await waitForHttp(port);
  return child;
}

async function main(): Promise<void> {
  await ensureFixtures();
  const tar = path.join(IMAGES_DIR, 'bench-http-server.tar');
  await writeImage(tar, {
    reference: IMAGE,
    entrypoint: ['/http-server.wasm'],
    files: [{ path: '/http-server.wasm', data: await readFile(fixturePath('http-server.wasm')), mode: 0o755 }],
  });
  const containerd = await PrivateContainerd.start({ namespace: 'wasmts-bench' });
  const id = `bench-http-${process.pid}`;
  let native: ChildProcess | undefined;
  try {
    await containerd.importImage(tar);
    const wasmPort = await freePort();
    await containerd.ctrOk(['run', '-d', '--net-host', '--runtime', 'io.containerd.wasmts.v1', IMAGE, id, '/http-server.wasm', String(wasmPort), '127.0.0.1', mode]);
    await waitForHttp(wasmPort);
    const nativePort = await freePort();
    native = await startNative(nativePort);

    const samples = { wasmts: [] as Result[], native: [] as Result[] };
    // A short warm-up each (V8 tiers the guest up), then alternate.
    await runCommand('wrk', ['-t1', '-c4', '-d2s', `http://127.0.0.1:${wasmPort}/`], { timeoutMs: 30_000 });
    await runCommand('wrk', ['-t1', '-c4', '-d2s', `http://127.0.0.1:${nativePort}/`], { timeoutMs: 30_000 });
    for (let round = 0; round < rounds; round++) {
      samples.wasmts.push(await wrk(wasmPort));
      await sleep(500);
      samples.native.push(await wrk(nativePort));
      await sleep(500);
    }
    const w = best(samples.wasmts);
    const n = best(samples.native);
    console.log(`wrk -t${threads} -c${connections} -d${duration}s, ${mode} server, best of ${rounds} rounds each (${cpus().length} CPUs, loopback):`);
    const row = (name: string, r: Result): string =>
      `  ${name.padEnd(24)} ${r.requestsPerSecond.toFixed(0).padStart(8)} req/s   p50 ${r.p50Ms.toFixed(2).padStart(7)} ms   p99 ${r.p99Ms.toFixed(2).padStart(7)} ms${r.errors ? `   (${r.errors})` : ''}`;
    console.log(row('wasmts (ctr --net-host)', w));
    console.log(row('native (gcc -O2)', n));
    console.log(`  ratio wasmts/native: throughput ${(w.requestsPerSecond / n.requestsPerSecond).toFixed(2)}, p50 ${(w.p50Ms / n.p50Ms).toFixed(2)}x, p99 ${(w.p99Ms / n.p99Ms).toFixed(2)}x`);
  } finally {
    native?.kill('SIGKILL');
    await containerd.ctr(['task', 'kill', '-s', 'SIGKILL', id]);
    await sleep(300);
    await containerd.ctr(['task', 'delete', '-f', id]);
    await containerd.ctr(['container', 'delete', id]);
    await containerd.stop();
  }
}

await main();
