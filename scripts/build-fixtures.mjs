#!/usr/bin/env node
// Builds the test fixtures in test/fixtures/ into build/fixtures/.
//
//   node scripts/build-fixtures.mjs [--force]
//
// C and Rust programs are compiled with Debian's wasm32-wasi toolchains
// (clang-14 + wasi-libc, /usr/bin/rustc 1.63 + libstd-rust-dev-wasm32); see
// /work/shared/reference/toolchains-and-images.md. `.wat` files are assembled
// in-process with the `wabt` npm package. An output is rebuilt only when it is
// missing or older than its source or this script.

import { spawn } from 'node:child_process';
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = path.join(repoRoot, 'test', 'fixtures');
const outDir = path.join(repoRoot, 'build', 'fixtures');
const thisScript = fileURLToPath(import.meta.url);

const CLANG = 'clang-14';
const RUSTC = '/usr/bin/rustc'; // Debian's; rustup's toolchain has no wasm32 target.
const HOST_CC = 'cc';

// `-Wl,--strip-debug` drops libc's DWARF but keeps the name section, so a trap
// names the guest function. `-s` strips everything (smallest output).
const C_KEEP_NAMES = ['--target=wasm32-wasi', '-O2', '-Wl,--strip-debug'];
const C_STRIPPED = ['--target=wasm32-wasi', '-O2', '-s'];

/**
 * Every fixture: output name, inputs, and how to make it. `build` receives
 * absolute input paths and the absolute output path.
 */
const FIXTURES = [
  cWasm('hello', C_KEEP_NAMES),
  cWasm('echo-args-env', C_STRIPPED),
  cWasm('exit-code', C_STRIPPED),
  cWasm('ticker', C_STRIPPED),
  cWasm('trap', C_KEEP_NAMES),
  cWasm('missing-import', C_KEEP_NAMES),
  cWasm('cat', C_STRIPPED),
  cWasm('files', C_STRIPPED),
  cWasm('tty-probe', C_STRIPPED),
  cWasm('spin', C_STRIPPED),
  cWasm('memhog', C_STRIPPED),
  cWasm('stdio-burst', C_STRIPPED),
  cWasm('deep-recursion', [...C_STRIPPED, '-Wl,-z,stack-size=8388608']),
  // Network fixtures on WasmEdge's socket calls (net-compat.h); the server also natively, for scripts/bench-http.
  cWasm('http-server', C_STRIPPED, ['net-compat.h']),
  cWasm('tcp-client', C_STRIPPED, ['net-compat.h']),
  cWasm('udp-echo', C_STRIPPED, ['net-compat.h']),
  cWasm('tcplisten-server', C_STRIPPED),
  {
    output: 'http-server.native',
    inputs: ['http-server.c', 'net-compat.h'],
    build: ([src], out) => run(HOST_CC, ['-O2', '-s', '-o', out, src]),
  },
  {
    output: 'hello-rust.wasm',
    inputs: ['hello-rust.rs'],
    build: ([src], out) =>
      run(RUSTC, [
        '--edition', '2021', '--target', 'wasm32-wasi',
        '-C', 'opt-level=2', '-C', 'strip=symbols',
        '-o', out, src,
      ]),
  },
  {
    output: 'exit-wat.wasm',
    inputs: ['exit-wat.wat'],
    build: ([src], out) => assembleWat(src, out),
  },
  {
    // The first half of a valid module: a bad magic-less tail for the compiler.
    output: 'truncated.wasm',
    inputs: [],
    after: ['hello.wasm'],
    build: async (_inputs, out) => {
      const whole = await readFile(path.join(outDir, 'hello.wasm'));
      await writeFile(out, whole.subarray(0, Math.floor(whole.length / 2)));
    },
  },
  {
    output: 'not-wasm.txt',
    inputs: ['not-wasm.txt'],
    build: ([src], out) => copyFile(src, out),
  },
  {
    // A static ELF, so it would even run under runc in an empty rootfs.
    output: 'linux-binary',
    inputs: ['linux-binary.c'],
    build: ([src], out) => run(HOST_CC, ['-static', '-O2', '-s', '-o', out, src]),
  },
  {
    // The sandbox program of runc pods in benchmarks (what the pause image holds).
    output: 'pause',
    inputs: ['pause.c'],
    build: ([src], out) => run(HOST_CC, ['-static', '-O2', '-s', '-o', out, src]),
  },
];

function cWasm(name, flags, headers = []) {
  return {
    output: `${name}.wasm`,
    inputs: [`${name}.c`, ...headers],
    build: ([src], out) => run(CLANG, [...flags, '-o', out, src]),
  };
}

async function assembleWat(src, out) {
  const { default: initWabt } = await import('wabt');
  const wabt = await initWabt();
  const text = await readFile(src, 'utf8');
  const module = wabt.parseWat(path.basename(src), text);
  try {
    module.validate();
    const { buffer } = module.toBinary({ write_debug_names: true });
    await writeFile(out, buffer);
  } finally {
    module.destroy();
  }
}

function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    child.on('error', (err) =>
      reject(new Error(`cannot run ${command}: ${err.message}; is its Debian package installed?`)),
    );
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${stderr}`));
    });
  });
}

async function mtimeOrZero(file) {
  try {
    return (await stat(file)).mtimeMs;
  } catch (err) {
    if (err.code === 'ENOENT') return 0;
    throw err;
  }
}

async function isUpToDate(output, inputs) {
  const outTime = await mtimeOrZero(output);
  if (outTime === 0) return false;
  for (const input of [...inputs, thisScript]) {
    if ((await mtimeOrZero(input)) > outTime) return false;
  }
  return true;
}

async function buildOne(fixture, force) {
  const out = path.join(outDir, fixture.output);
  const inputs = fixture.inputs.map((name) => path.join(sourceDir, name));
  const derivedFrom = (fixture.after ?? []).map((name) => path.join(outDir, name));
  if (!force && (await isUpToDate(out, [...inputs, ...derivedFrom]))) return false;
  await fixture.build(inputs, out);
  return true;
}

async function main() {
  const force = process.argv.includes('--force');
  await mkdir(outDir, { recursive: true });
  // Independent fixtures build in parallel; derived ones wait for their base.
  const independent = FIXTURES.filter((f) => !f.after);
  const derived = FIXTURES.filter((f) => f.after);
  const built = [];
  const results = await Promise.allSettled(
    independent.map(async (f) => (await buildOne(f, force)) && built.push(f.output)),
  );
  const failures = results.filter((r) => r.status === 'rejected').map((r) => r.reason);
  for (const f of derived) {
    try {
      if (await buildOne(f, force)) built.push(f.output);
    } catch (err) {
      failures.push(err);
    }
  }
  if (failures.length > 0) {
    for (const err of failures) console.error(err.message);
    process.exit(1);
  }
  console.log(
    built.length > 0
      ? `build-fixtures: built ${built.sort().join(', ')} in ${path.relative(repoRoot, outDir)}/`
      : 'build-fixtures: all fixtures up to date',
  );
}

await main();
