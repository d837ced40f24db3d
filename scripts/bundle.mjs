// Bundles what the installed shim runs into a few files directly in dist/ (see src/layout.ts):
//   dist/wasmts-shim.mjs          the shim runner: CLI actions, daemons (main.js loads it)
//   dist/wasmts-guest-worker.mjs  what a guest's worker thread boots
//   dist/wasmts-chunk-*.mjs       code they share, and what an action loads on demand
// Node resolves, reads and compiles each ES module on its own; a cold daemon's hundred-odd
// modules cost it a third of its boot, and each guest worker loads forty of them again.
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

for (const name of readdirSync(dist)) {
  if (name.startsWith('wasmts-') && (name.endsWith('.mjs') || name.endsWith('.mjs.map'))) rmSync(join(dist, name));
}

const result = await build({
  absWorkingDir: root,
  entryPoints: { 'wasmts-shim': 'src/shim/cli/main.ts', 'wasmts-guest-worker': 'src/instance/worker-main.ts' },
  outdir: 'dist',
  chunkNames: 'wasmts-chunk-[hash]',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
  // The CommonJS packages inside (protobufjs, pino) require Node's own modules.
  banner: { js: "import { createRequire as wasmtsCreateRequire } from 'node:module'; const require = wasmtsCreateRequire(import.meta.url);" },
});

const outputs = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith('.mjs'));
const kib = (bytes) => `${Math.round(bytes / 1024)} KiB`;
console.log(`bundled ${outputs.length} files into dist/: ${outputs.map(([file, out]) => `${file.slice('dist/'.length)} ${kib(out.bytes)}`).join(', ')}`);
