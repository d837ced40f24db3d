import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import initWabt from 'wabt';
import { describe, expect, it } from 'vitest';
import { capMemoryGrowth, CAP_GLOBAL_EXPORT, REFUSED_GLOBAL_EXPORT } from '../../../src/instance/wasm/memory-cap.js';
import { FIXTURES_DIR } from '../../support/fixtures.js';

const wabt = await initWabt();

function wat(text: string, features: Record<string, boolean> = {}): Uint8Array {
  const module = wabt.parseWat('test.wat', text, features);
  try {
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}

interface Grower {
  grow(pages: number): number;
  size(): number;
  [CAP_GLOBAL_EXPORT]: WebAssembly.Global;
  [REFUSED_GLOBAL_EXPORT]: WebAssembly.Global;
}

async function capped(text: string, capPages: number): Promise<Grower> {
  const result = capMemoryGrowth(wat(text), capPages);
  if (!result.capped) throw new Error(result.reason);
  const { instance } = await WebAssembly.instantiate(result.bytes);
  return instance.exports as unknown as Grower;
}

const GROWER = `(module
  (memory (export "memory") 2)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size)))`;

describe('memory growth cap', () => {
  it('lets memory grow up to the cap, then refuses with -1 and counts the refusal', async () => {
    const m = await capped(GROWER, 5);
    expect(m.grow(3)).toBe(2);
    expect(m.grow(1)).toBe(-1);
    expect(m.size()).toBe(5);
    expect(m[REFUSED_GLOBAL_EXPORT].value).toBe(1);
  });

  it('follows the cap global when the host raises or lowers it', async () => {
    const m = await capped(GROWER, 3);
    expect(m.grow(2)).toBe(-1);
    m[CAP_GLOBAL_EXPORT].value = 10;
    expect(m.grow(2)).toBe(2);
    m[CAP_GLOBAL_EXPORT].value = 4;
    expect(m.grow(1)).toBe(-1);
  });

  it('answers memory.grow(0) with the size even above the cap', async () => {
    const m = await capped(GROWER, 1);
    expect(m.grow(0)).toBe(2);
  });

  it('does not wrap around on a huge request', async () => {
    const m = await capped(GROWER, 65_536);
    expect(m.grow(-1)).toBe(-1);
  });

  it('adds the globals and type a module without them lacks, in valid section order', async () => {
    const m = await capped(`(module (memory 1) (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))) (func (export "size") (result i32) (memory.size)))`, 2);
    expect(m.grow(1)).toBe(1);
    expect(m.grow(1)).toBe(-1);
  });

  it('keeps function indices: calls, tables and exports still reach the same functions', async () => {
    const m = (await capped(
      `(module (memory 1) (table 1 funcref) (elem (i32.const 0) $g)
        (func $g (param i32) (result i32) (memory.grow (local.get 0)))
        (func (export "grow") (param i32) (result i32) (call_indirect (param i32) (result i32) (local.get 0) (i32.const 0)))
        (func (export "size") (result i32) (memory.size)))`,
      2,
    )) as Grower;
    expect(m.grow(1)).toBe(1);
    expect(m.grow(1)).toBe(-1);
  });

  it('declines a module without memory or with a 64-bit memory, saying why', () => {
    expect(capMemoryGrowth(wat('(module (func (export "_start")))'), 4)).toMatchObject({ capped: false, reason: 'the module has no memory' });
    expect(capMemoryGrowth(wat('(module (memory i64 1))', { memory64: true }), 4)).toMatchObject({ capped: false, reason: expect.stringContaining('64-bit') });
  });

  it.skipIf(!existsSync(FIXTURES_DIR))('rewrites every built fixture into a valid module', () => {
    for (const name of readdirSync(FIXTURES_DIR).filter((f) => f.endsWith('.wasm') && f !== 'truncated.wasm')) {
      const result = capMemoryGrowth(readFileSync(path.join(FIXTURES_DIR, name)), 256);
      expect(result.capped, name).toBe(true);
      if (result.capped) expect(WebAssembly.validate(result.bytes), name).toBe(true);
    }
  });
});
