import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import wabtInit from 'wabt';
import { moduleImports, usesNetwork } from '../../../src/oci/module-imports.js';

async function assemble(wat: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  return wabt.parseWat('fixture.wat', wat, { exceptions: true }).toBinary({}).buffer;
}

const HELLO = `(module
  (type $t (func (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $w (type $t)))
  (import "env" "table" (table 1 2 funcref))
  (import "env" "memory" (memory 1 10))
  (import "env" "g" (global i32))
  (import "env" "mg" (global (mut i64)))
  (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
  (func (export "_start")))`;

const SERVER = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_accept" (func (param i32 i32 i32) (result i32)))
  (func (export "_start")))`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'wasmts-imports-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('moduleImports', () => {
  it('lists the function imports of a file, past tables, memories and globals', async () => {
    const file = path.join(dir, 'hello.wasm');
    await writeFile(file, await assemble(HELLO));
    expect(await moduleImports({ kind: 'file', hostPath: file })).toEqual([
      { module: 'wasi_snapshot_preview1', name: 'fd_write' },
      { module: 'wasi_snapshot_preview1', name: 'proc_exit' },
    ]);
  });

  it('reads a blob too, and finds nothing in a module that imports nothing', async () => {
    const bytes = await assemble('(module (func (export "_start")))');
    expect(await moduleImports({ kind: 'blob', bytes, digest: 'sha256:x' })).toEqual([]);
  });

  it('reads past a custom section before the imports', async () => {
    const plain = await assemble(SERVER);
    // A custom section (id 0, name "x", two bytes) right after the header.
    const custom = new Uint8Array([0, 4, 1, 0x78, 7, 7]);
    const bytes = new Uint8Array([...plain.subarray(0, 8), ...custom, ...plain.subarray(8)]);
    expect((await moduleImports({ kind: 'blob', bytes, digest: 'sha256:x' })).map((i) => i.name)).toEqual(['fd_write', 'sock_accept']);
  });

  it('throws a RangeError on an import section cut short', async () => {
    const bytes = await assemble(SERVER);
    await expect(moduleImports({ kind: 'blob', bytes: bytes.subarray(0, 30), digest: 'sha256:x' })).rejects.toThrow(RangeError);
  });
});

describe('usesNetwork', () => {
  it('is true for a module importing a socket call, preview 1 or WasmEdge', async () => {
    expect(usesNetwork(await moduleImports({ kind: 'blob', bytes: await assemble(SERVER), digest: 'sha256:x' }))).toBe(true);
    expect(usesNetwork([{ module: 'wasi_snapshot_preview1', name: 'sock_getaddrinfo' }])).toBe(true);
  });

  it('is false for a module with only file and clock calls', async () => {
    expect(usesNetwork(await moduleImports({ kind: 'blob', bytes: await assemble(HELLO), digest: 'sha256:x' }))).toBe(false);
  });
});
