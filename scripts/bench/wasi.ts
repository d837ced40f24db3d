/**
 * Throughput and CPU cost of our WASI host against the same C programs built
 * natively, in the same run:
 *   - stdout to a file and to a pipe (a FIFO drained by `cat`, as containerd's
 *     stdio FIFOs are): a guest writing 1 GiB in 64 KiB writes;
 *   - a CPU-bound guest: SHA-256 of 100 MiB.
 * The C sources are test/fixtures/bench/*.c, built here with clang-14
 * (wasm32-wasi, -O2) and gcc -O2. Each guest runs on WasiHost in a worker
 * thread, as the engine runs it; its time runs from compiling the module to
 * close() resolving (all output handed to the fd), the native one from spawn
 * to exit. Prints medians and ratios as a Markdown table.
 *
 *   scripts/bench-wasi [--runs N (5)] [--write-mib N (1024)] [--sha-mib N (100)]
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { WasiHost } from '../../src/wasi/index.ts';

const FIXTURES = path.resolve(import.meta.dirname, '..', '..', 'test', 'fixtures', 'bench');

interface GuestJob {
  wasmPath: string;
  args: string[];
  stdout: number;
}

/** In the worker: one guest run, timed from compile to close(). */
async function runGuest(job: GuestJob): Promise<void> {
  const started = performance.now();
  // The host owns (and closes) the fds it is given: hand it a fresh description of our stderr.
  const stderr = fs.openSync('/proc/self/fd/2', 'a');
  const host = new WasiHost({ args: job.args, env: [], preopens: [], stdout: job.stdout, stderr });
  const module = await WebAssembly.compile(fs.readFileSync(job.wasmPath));
  const instance = await WebAssembly.instantiate(module, host.importObject());
  const code = await host.start(instance);
  await host.close();
  parentPort!.postMessage({ code, ms: performance.now() - started });
  parentPort!.close();
}

function wasmRun(job: GuestJob): Promise<number> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: job });
    // Settle once the thread is gone: Node closes the fds a worker opened as it exits, and the
    // next run must not open a file under a number that is about to be closed.
    let result: { code: number; ms: number } | undefined;
    worker.once('message', (m: { code: number; ms: number }) => (result = m));
    worker.once('error', reject);
    worker.once('exit', () => {
      if (result === undefined) reject(new Error(`${job.wasmPath}: its worker ended without a result`));
      else if (result.code !== 0) reject(new Error(`${job.wasmPath} exited with ${result.code}`));
      else resolve(result.ms);
    });
  });
}

function nativeRun(binary: string, args: string[], stdout: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(binary, args, { stdio: ['ignore', stdout, 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`${binary} exited with ${code}`));
      else resolve(performance.now() - started);
    });
  });
}

/** A reader process draining `fifo`; resolves when it saw EOF. */
function drain(fifo: string): { done: Promise<void>; writeFd: number } {
  const child = spawn('cat', [fifo], { stdio: ['ignore', 'ignore', 'inherit'] });
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', () => resolve());
  });
  // Blocks only until cat has opened its end.
  return { done, writeFd: fs.openSync(fifo, fs.constants.O_WRONLY) };
}

function build(work: string, name: string): { wasm: string; native: string } {
  const source = path.join(FIXTURES, `${name}.c`);
  const wasm = path.join(work, `${name}.wasm`);
  const native = path.join(work, `${name}.native`);
  execFileSync('clang-14', ['--target=wasm32-wasi', '-O2', '-o', wasm, source]);
  execFileSync('gcc', ['-O2', '-o', native, source]);
  return { wasm, native };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

interface Case {
  name: string;
  /** Bytes moved, for a throughput figure. */
  bytes?: number;
  wasm: () => Promise<number>;
  native: () => Promise<number>;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, 'write-mib': { type: 'string', default: '1024' }, 'sha-mib': { type: 'string', default: '100' } } });
  const runs = Math.max(1, Number(values.runs));
  const writeMib = Number(values['write-mib']);
  const shaMib = Number(values['sha-mib']);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-wasi-'));
  try {
    const writer = build(work, 'write-stdout');
    const sha = build(work, 'sha256');
    const outFile = path.join(work, 'out');
    const fifo = path.join(work, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const digests = new Set<string>();
    // A fresh file each run: truncating the last one would charge its writeback to the next run.
    const viaFile = async (run: (fd: number) => Promise<number>): Promise<number> => {
      fs.rmSync(outFile, { force: true });
      return run(fs.openSync(outFile, 'w'));
    };
    const viaPipe = async (run: (fd: number) => Promise<number>): Promise<number> => {
      const reader = drain(fifo);
      const ms = await run(reader.writeFd);
      await reader.done;
      return ms;
    };
    // The worker's host owns the fd it is given; a spawned child gets a copy, so close ours.
    const native = (binary: string, args: string[]) => async (fd: number): Promise<number> => {
      try {
        return await nativeRun(binary, args, fd);
      } finally {
        fs.closeSync(fd);
      }
    };
    const guest = (wasmPath: string, args: string[]) => (fd: number): Promise<number> => wasmRun({ wasmPath, args: [path.basename(wasmPath), ...args], stdout: fd });
    const shaDigest = async (run: (fd: number) => Promise<number>): Promise<number> => {
      const ms = await viaFile(run);
      digests.add(fs.readFileSync(outFile, 'utf8').trim());
      return ms;
    };
    const size = `${writeMib >= 1024 ? `${writeMib / 1024} GiB` : `${writeMib} MiB`}`;
    const cases: Case[] = [
      {
        name: `stdout to a file, ${size} in 64 KiB writes`,
        bytes: writeMib * 2 ** 20,
        wasm: () => viaFile(guest(writer.wasm, [String(writeMib)])),
        native: () => viaFile(native(writer.native, [String(writeMib)])),
      },
      {
        name: `stdout to a pipe drained by cat, ${size} in 64 KiB writes`,
        bytes: writeMib * 2 ** 20,
        wasm: () => viaPipe(guest(writer.wasm, [String(writeMib)])),
        native: () => viaPipe(native(writer.native, [String(writeMib)])),
      },
      {
        name: `SHA-256 of ${shaMib} MiB (CPU)`,
        wasm: () => shaDigest(guest(sha.wasm, [String(shaMib)])),
        native: () => shaDigest(native(sha.native, [String(shaMib)])),
      },
    ];
    const rows: string[] = [];
    for (const c of cases) {
      const wasm: number[] = [];
      const nat: number[] = [];
      // One warm-up of each, then alternate so machine noise hits both alike.
      await c.wasm();
      await c.native();
      for (let i = 0; i < runs; i++) {
        wasm.push(await c.wasm());
        nat.push(await c.native());
      }
      const [w, n] = [median(wasm), median(nat)];
      const cell = (ms: number): string => `${(ms / 1000).toFixed(2)} s${c.bytes ? ` (${(c.bytes / 2 ** 30 / (ms / 1000)).toFixed(2)} GiB/s)` : ''}`;
      rows.push(`| ${c.name} | ${cell(w)} | ${cell(n)} | ${(w / n).toFixed(2)}x |`);
    }
    if (digests.size !== 1) throw new Error(`the wasm and native SHA-256 disagree: ${[...digests].join(', ')}`);
    const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
    console.log(`WASI host (Node ${process.version}) vs the same C built with gcc -O2; median of ${runs} runs; ${cpu}, ${os.availableParallelism()} CPUs`);
    console.log('');
    console.log('| | wasmts | native | wasmts/native |');
    console.log('|---|---|---|---|');
    for (const row of rows) console.log(row);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (isMainThread) await main();
else await runGuest(workerData as GuestJob);
