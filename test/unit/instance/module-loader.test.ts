import { describe, expect, it } from 'vitest';
import wabtInit from 'wabt';
import { describeMissingImports, describeNonModule } from '../../../src/instance/module-loader.js';

async function assemble(wat: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  return wabt.parseWat('fixture.wat', wat).toBinary({}).buffer;
}

describe('describeNonModule', () => {
  it('says an ELF binary is a Linux executable and that wasmts runs WebAssembly', () => {
    const elf = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
    expect(describeNonModule(elf, '/app')).toMatch(/^\/app is a Linux ELF executable, not a WebAssembly module; wasmts runs WebAssembly/);
  });

  it('quotes the start of a text file', () => {
    expect(describeNonModule(Buffer.from('hello world\nmore'), '/a.wasm')).toContain('is a text file (it starts with "hello world")');
  });

  it('recognises scripts and empty files', () => {
    expect(describeNonModule(Buffer.from('#!/bin/sh\n'), '/run.sh')).toContain('is a script');
    expect(describeNonModule(new Uint8Array(0), '/e.wasm')).toContain('is an empty file');
  });

  it('accepts a core module header and names a component', () => {
    expect(describeNonModule(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), '/m')).toBeUndefined();
    expect(describeNonModule(new Uint8Array([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]), '/c')).toContain('is a WebAssembly component');
  });
});

describe('describeMissingImports', () => {
  it('names each import the host does not provide', async () => {
    const bytes = await assemble(`(module
      (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
      (import "env" "not_provided" (func)))`);
    const module = await WebAssembly.compile(bytes);
    const provided = [{ module: 'wasi_snapshot_preview1', name: 'fd_write' }];
    expect(describeMissingImports(module, provided, '/m.wasm')).toBe(
      '/m.wasm imports env.not_provided (function), which wasmts does not provide (it provides wasi_snapshot_preview1)',
    );
  });
});
