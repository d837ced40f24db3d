/**
 * A guest's wasm runs on a stack of V8's, not the 8 MiB a native program gets
 * by default: it must still recurse as deep as real programs do (parsers on
 * deeply nested input), and past the limit trap cleanly, leaving the daemon
 * serving.
 */
import { describe, expect, it } from 'vitest';
import { TEST_IMAGES, uniqueId, useContainerd, WASMTS_RUNTIME } from '../support/rig.js';

const containerd = useContainerd();

const run = (depth: number) =>
  containerd.ctr(['run', '--rm', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.deepRecursion.reference, uniqueId('deep'), '/deep-recursion.wasm', String(depth)], {
    timeoutMs: 60_000,
  });

describe('a deeply recursive guest', () => {
  it('recurses 100,000 calls deep, as its native build does', async () => {
    const result = await run(100_000);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('reached 100000\n');
    expect(result.code).toBe(0);
  });

  it('traps with a clear message past its stack, and the next guest runs', async () => {
    const result = await run(100_000_000);
    expect(result.code).toBe(134);
    expect(result.stderr).toMatch(/^wasm trap: (Maximum call stack size exceeded|memory access out of bounds)/);
    expect((await run(10)).stdout).toBe('reached 10\n');
  });
});
