import { describe, expect, it } from 'vitest';
import { ModuleCache } from '../../../src/instance/module-cache.js';

// The smallest module: magic and version.
const EMPTY_MODULE = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

function counting() {
  let compiles = 0;
  const compile = async () => {
    compiles++;
    return WebAssembly.compile(EMPTY_MODULE);
  };
  return { compile, count: () => compiles };
}

describe('ModuleCache', () => {
  it('compiles a module once and hands the same compiled module to the next container', async () => {
    const cache = new ModuleCache();
    const { compile, count } = counting();
    const first = await cache.getOrCompile('sha256:a', 8, compile);
    const second = await cache.getOrCompile('sha256:a', 8, compile);
    expect(first.hit).toBe(false);
    expect(second.hit).toBe(true);
    expect(second.module).toBe(first.module);
    expect(count()).toBe(1);
  });

  it('lets containers created at the same time share one compile', async () => {
    const cache = new ModuleCache();
    const { compile, count } = counting();
    const results = await Promise.all([1, 2, 3].map(() => cache.getOrCompile('sha256:a', 8, compile)));
    expect(count()).toBe(1);
    expect(results.map((r) => r.hit)).toEqual([false, true, true]);
  });

  it('keeps no failed compile: the next container tries again', async () => {
    const cache = new ModuleCache();
    await expect(cache.getOrCompile('sha256:bad', 8, () => Promise.reject(new Error('broken')))).rejects.toThrow('broken');
    expect(cache.size).toBe(0);
    const { compile } = counting();
    expect((await cache.getOrCompile('sha256:bad', 8, compile)).hit).toBe(false);
  });

  it('stays within its byte budget, dropping the least recently used module first', async () => {
    const cache = new ModuleCache(20);
    const { compile } = counting();
    await cache.getOrCompile('a', 8, compile);
    await cache.getOrCompile('b', 8, compile);
    await cache.getOrCompile('a', 8, compile); // a is now the most recently used
    await cache.getOrCompile('c', 8, compile); // 24 bytes: b goes
    expect(cache.size).toBe(2);
    expect((await cache.getOrCompile('a', 8, compile)).hit).toBe(true);
    expect((await cache.getOrCompile('b', 8, compile)).hit).toBe(false);
  });

  it('does not keep a module larger than the whole budget', async () => {
    const cache = new ModuleCache(4);
    const { compile, count } = counting();
    await cache.getOrCompile('big', 8, compile);
    await cache.getOrCompile('big', 8, compile);
    expect(count()).toBe(2);
    expect(cache.size).toBe(0);
  });
});
