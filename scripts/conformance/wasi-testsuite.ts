/**
 * Runs the wasm32-wasip1 tests of a WebAssembly/wasi-testsuite checkout
 * (a prebuilt branch such as prod/testsuite-base) through our WASI host, one
 * worker thread per test, the way the engine runs a guest. Each test's JSON
 * spec (doc/specification.md there) gives args, env, the directory to preopen
 * as `/` (`root`; legacy `dirs` are preopened under their own names), the
 * expected exit code and, when given, stdout/stderr. Directories are copied to
 * a temporary place first so runs never change the checkout.
 *
 *   scripts/wasi-testsuite <checkout> [name-filter]
 *
 * Prints the details of each failure, then `N passed, N failed`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { WasiHost, type PreopenSpec } from '../../src/wasi/index.ts';

const TIMEOUT_MS = 30_000;

interface Spec {
  args?: string[];
  env?: Record<string, string>;
  root?: string | null;
  dirs?: string[];
  exit_code?: number;
  stdout?: string;
  stderr?: string;
  operations?: { type: string; args?: string[]; env?: Record<string, string>; root?: string | null; exit_code?: number; id?: string; payload?: string }[];
  proposals?: string[];
}

/** What one run needs: a flat spec after the operation-based form is folded in. */
interface Plan {
  args: string[];
  env: Record<string, string>;
  root: string | null;
  dirs: string[];
  exitCode: number;
  stdout?: string;
  stderr?: string;
}

interface WorkerJob {
  wasmPath: string;
  argv: string[];
  env: string[];
  preopens: PreopenSpec[];
  stdoutPath: string;
  stderrPath: string;
}

function planOf(spec: Spec): Plan {
  if (spec.operations === undefined) {
    return { args: spec.args ?? [], env: spec.env ?? {}, root: spec.root ?? null, dirs: spec.dirs ?? [], exitCode: spec.exit_code ?? 0, stdout: spec.stdout, stderr: spec.stderr };
  }
  const plan: Plan = { args: [], env: {}, root: null, dirs: [], exitCode: 0 };
  for (const op of spec.operations) {
    if (op.type === 'run') Object.assign(plan, { args: op.args ?? [], env: op.env ?? {}, root: op.root ?? null });
    else if (op.type === 'wait') plan.exitCode = op.exit_code ?? 0;
    else if (op.type === 'read') plan[(op.id ?? 'stdout') as 'stdout' | 'stderr'] = op.payload ?? '';
    else throw new Error(`operation ${op.type} is not supported by this runner`);
  }
  return plan;
}

async function runWorker(job: WorkerJob): Promise<void> {
  const host = new WasiHost({
    args: job.argv,
    env: job.env,
    preopens: job.preopens,
    stdout: fs.openSync(job.stdoutPath, 'w'),
    stderr: fs.openSync(job.stderrPath, 'w'),
  });
  const { instance } = await WebAssembly.instantiate(fs.readFileSync(job.wasmPath), host.importObject());
  const code = await host.start(instance);
  await host.close();
  parentPort!.postMessage({ code });
}

function runInWorker(job: WorkerJob): Promise<number | string> {
  return new Promise((resolve) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: job });
    const timer = setTimeout(() => {
      void worker.terminate();
      resolve(`timed out after ${TIMEOUT_MS} ms`);
    }, TIMEOUT_MS);
    worker.on('message', (m: { code: number }) => {
      clearTimeout(timer);
      resolve(m.code);
    });
    worker.on('error', (error) => {
      clearTimeout(timer);
      resolve(`worker error: ${error.stack ?? String(error)}`);
    });
    worker.on('exit', () => {
      clearTimeout(timer);
      resolve('worker exited without a result');
    });
  });
}

function findTests(checkout: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.wasm') && path.basename(dir) === 'wasm32-wasip1' && full.includes(`${path.sep}testsuite${path.sep}`)) found.push(full);
    }
  };
  walk(path.join(checkout, 'tests'));
  return found.sort();
}

/** Copies `dir` (relative to the test's directory) into `scratch`, dropping *.cleanup leftovers. */
function stage(testDir: string, dir: string, scratch: string): string {
  const to = path.join(scratch, dir);
  fs.cpSync(path.join(testDir, dir), to, { recursive: true, verbatimSymlinks: true, filter: (src) => !src.endsWith('.cleanup') });
  return to;
}

async function runTest(wasmPath: string, scratchRoot: string): Promise<string[]> {
  const testDir = path.dirname(wasmPath);
  const name = path.basename(wasmPath, '.wasm');
  const specPath = path.join(testDir, `${name}.json`);
  const spec: Spec = fs.existsSync(specPath) ? JSON.parse(fs.readFileSync(specPath, 'utf8')) : {};
  if (spec.proposals?.length) return [`needs proposals ${spec.proposals.join(', ')}`];
  const plan = planOf(spec);
  const scratch = fs.mkdtempSync(path.join(scratchRoot, `${name}-`));
  const preopens: PreopenSpec[] = [];
  if (plan.root) preopens.push({ guestPath: '/', hostPath: stage(testDir, plan.root, scratch) });
  for (const dir of plan.dirs) preopens.push({ guestPath: dir, hostPath: stage(testDir, dir, scratch) });
  const stdoutPath = path.join(scratchRoot, `${path.basename(scratch)}.stdout`);
  const stderrPath = path.join(scratchRoot, `${path.basename(scratch)}.stderr`);
  const result = await runInWorker({
    wasmPath,
    argv: [`${name}.wasm`, ...plan.args],
    env: Object.entries(plan.env).map(([k, v]) => `${k}=${v}`),
    preopens,
    stdoutPath,
    stderrPath,
  });
  const read = (p: string): string => (fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : '');
  const stdout = read(stdoutPath);
  const stderr = read(stderrPath);
  const problems: string[] = [];
  if (typeof result === 'string') problems.push(result);
  else if (result !== plan.exitCode) problems.push(`exit code ${result}, expected ${plan.exitCode}`);
  if (plan.stdout !== undefined && stdout !== plan.stdout) problems.push(`stdout ${JSON.stringify(stdout)}, expected ${JSON.stringify(plan.stdout)}`);
  if (plan.stderr !== undefined && stderr !== plan.stderr) problems.push(`stderr ${JSON.stringify(stderr)}, expected ${JSON.stringify(plan.stderr)}`);
  if (problems.length > 0) {
    if (stdout && plan.stdout === undefined) problems.push(`stdout:\n${indent(stdout)}`);
    if (stderr && plan.stderr === undefined) problems.push(`stderr:\n${indent(stderr)}`);
  }
  return problems;
}

/** Indented, and cut after 20 lines (a trap's wasm frames go on for a while). */
function indent(text: string): string {
  const lines = text.trimEnd().split('\n');
  const shown = lines.length > 20 ? [...lines.slice(0, 20), `... ${lines.length - 20} more lines`] : lines;
  return shown.map((l) => `    ${l}`).join('\n');
}

async function main(): Promise<void> {
  const [checkout, filter] = process.argv.slice(2);
  if (checkout === undefined || !fs.existsSync(path.join(checkout, 'tests'))) {
    console.error('usage: scripts/wasi-testsuite <wasi-testsuite checkout with prebuilt tests> [name-filter]');
    process.exit(2);
  }
  const tests = findTests(path.resolve(checkout)).filter((t) => filter === undefined || t.includes(filter));
  const scratchRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'wasi-testsuite-'));
  let passed = 0;
  let failed = 0;
  try {
    for (const test of tests) {
      const label = path.relative(path.resolve(checkout, 'tests'), test);
      const problems = await runTest(test, scratchRoot);
      if (problems.length === 0) {
        passed++;
      } else {
        failed++;
        console.log(`FAIL ${label}\n${problems.map((p) => `  ${p}`).join('\n')}`);
      }
    }
  } finally {
    fs.rmSync(scratchRoot, { recursive: true, force: true });
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

if (isMainThread) await main();
else await runWorker(workerData as WorkerJob);
