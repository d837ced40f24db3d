import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../support/fixtures.js';
import { TEST_IMAGES, useContainerd } from '../support/rig.js';

describe('the private containerd test rig', () => {
  const containerd = useContainerd();

  it('answers ctr version on its own socket, not the system one', async () => {
    const result = await containerd.ctr(['version']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Server:\s+Version:\s+1\.6\./);
    expect(containerd.address).not.toBe('/run/containerd/containerd.sock');
  });

  it('imports every test image as a wasi/wasm image', async () => {
    const listing = await containerd.ctrOk(['images', 'ls']);
    const rows = new Map(
      listing
        .split('\n')
        .slice(1)
        .filter(Boolean)
        .map((line) => [line.split(/\s+/)[0], line] as const),
    );
    for (const image of Object.values(TEST_IMAGES)) {
      const row = rows.get(image.reference);
      expect(row, `${image.reference} missing from:\n${listing}`).toBeDefined();
      expect(row).toContain('wasi/wasm');
    }
  });

  it('unpacks the module into a snapshot byte for byte', async () => {
    const target = await mkdtemp(path.join(tmpdir(), 'wasmts-image-mount-'));
    try {
      await containerd.ctrOk(['images', 'mount', '--platform', 'wasi/wasm', TEST_IMAGES.hello.reference, target]);
      try {
        const unpacked = await readFile(path.join(target, TEST_IMAGES.hello.modulePath));
        expect(unpacked.equals(await readFile(fixturePath('hello.wasm')))).toBe(true);
      } finally {
        await containerd.ctrOk(['images', 'unmount', '--rm', target]);
      }
    } finally {
      await rm(target, { recursive: true, force: true });
    }
  });
});
