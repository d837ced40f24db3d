// Minimal WASI preview1 runner used to cross-check the corpus outside the shim.
// usage: node run-wasm.mjs <module.wasm> [args...]
// stdin/stdout/stderr are this process's fds 0/1/2; nothing is preopened
// (corpus cases only use stdio). Exits with the module's exit status.
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';

const [file, ...args] = process.argv.slice(2);
const wasi = new WASI({
  version: 'preview1',
  args: [file.replace(/^.*\//, '').replace(/\.wasm$/, ''), ...args],
  env: {},
  preopens: {},
  stdin: 0, stdout: 1, stderr: 2,
  returnOnExit: true,
});
const mod = await WebAssembly.compile(readFileSync(file));
const inst = await WebAssembly.instantiate(mod, wasi.getImportObject());
process.exitCode = wasi.start(inst) ?? 0;
