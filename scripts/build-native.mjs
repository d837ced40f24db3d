// Builds dist/wasmts-netns.node (src/native/network-namespace.c), the addon with which a warm
// spare daemon enters a pod's network namespace. No C library headers or startup files are
// needed, so one compiler builds it for either architecture:
//   node scripts/build-native.mjs [--arch x64|arm64] [--out FILE]
// With no compiler on the machine it says so and builds nothing: pods then get a daemon booted
// inside their namespace (slower to start, otherwise the same).
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { arch: { type: 'string', default: process.arch }, out: { type: 'string', default: join(root, 'dist', 'wasmts-netns.node') } } });
const targets = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };
const target = targets[values.arch];
if (target === undefined) {
  console.error(`build-native: unknown architecture ${values.arch} (x64 or arm64)`);
  process.exit(2);
}

const source = join(root, 'src', 'native', 'network-namespace.c');
const include = join(root, 'node_modules', 'node-api-headers', 'include');
const common = ['-shared', '-fPIC', '-nostdlib', '-ffreestanding', '-O2', '-Wall', '-Wextra', '-Werror', '-fvisibility=hidden', '-I', include, '-o', values.out, source];
// clang with lld builds for either architecture; the system's cc only for its own.
const compilers = [
  ['clang-14', ['--target=' + target, '-fuse-ld=lld', ...common]],
  ['clang', ['--target=' + target, '-fuse-ld=lld', ...common]],
  ...(values.arch === process.arch ? [['cc', common]] : []),
];

mkdirSync(dirname(values.out), { recursive: true });
rmSync(values.out, { force: true });
const failures = [];
for (const [compiler, args] of compilers) {
  try {
    execFileSync(compiler, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    console.log(`built ${values.out} (${values.arch}, ${compiler})`);
    process.exit(0);
  } catch (error) {
    failures.push(`${compiler}: ${error.code === 'ENOENT' ? 'not installed' : String(error.stderr ?? error.message).trim()}`);
  }
}
console.warn(`build-native: no compiler built ${values.out}; pods will get a daemon booted in their network namespace instead of a warm one\n  ${failures.join('\n  ')}`);
