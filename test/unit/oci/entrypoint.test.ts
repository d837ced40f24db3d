import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveEntrypoint } from '../../../src/oci/entrypoint.js';

let base: string;
let rootfs: string;

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'wasmts-entry-'));
  rootfs = path.join(base, 'rootfs');
  await mkdir(path.join(rootfs, 'app/bin'), { recursive: true });
  await writeFile(path.join(rootfs, 'app/bin/hello.wasm'), 'x');
  await writeFile(path.join(base, 'secret.wasm'), 'outside');
  await symlink('/app/bin/hello.wasm', path.join(rootfs, 'abs-link.wasm'));
  await symlink('app/bin', path.join(rootfs, 'bin'));
  await symlink('../../../secret.wasm', path.join(rootfs, 'app/escape.wasm'));
  await symlink('/../../secret.wasm', path.join(rootfs, 'abs-escape.wasm'));
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('resolveEntrypoint', () => {
  it('finds a module by its absolute guest path', async () => {
    expect(await resolveEntrypoint(rootfs, '/app/bin/hello.wasm')).toBe(path.join(rootfs, 'app/bin/hello.wasm'));
  });

  it('resolves a relative path against the process cwd', async () => {
    expect(await resolveEntrypoint(rootfs, 'bin/hello.wasm', '/app')).toBe(path.join(rootfs, 'app/bin/hello.wasm'));
  });

  it('follows absolute symlinks from the rootfs, not the host root', async () => {
    expect(await resolveEntrypoint(rootfs, '/abs-link.wasm')).toBe(path.join(rootfs, 'app/bin/hello.wasm'));
    expect(await resolveEntrypoint(rootfs, '/bin/hello.wasm')).toBe(path.join(rootfs, 'app/bin/hello.wasm'));
  });

  it('never leaves the rootfs through .. in a path or a link', async () => {
    await expect(resolveEntrypoint(rootfs, '/../secret.wasm')).rejects.toThrow('does not exist');
    await expect(resolveEntrypoint(rootfs, '/app/escape.wasm')).rejects.toThrow('does not exist');
    await expect(resolveEntrypoint(rootfs, '/abs-escape.wasm')).rejects.toThrow('does not exist');
  });

  it('names a missing entrypoint in its error', async () => {
    await expect(resolveEntrypoint(rootfs, '/nope.wasm')).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: "/nope.wasm does not exist in the container's rootfs",
    });
  });

  it('refuses a directory as the module', async () => {
    await expect(resolveEntrypoint(rootfs, '/app')).rejects.toThrow('is a directory');
  });
});
