import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnavailableError } from '../../../src/errors.js';
import type { ImageModule, ImageModuleSource } from '../../../src/oci/container.js';
import { BundlePreparer } from '../../../src/oci/container-preparer.js';

let bundle: string;

beforeAll(async () => {
  bundle = await mkdtemp(path.join(tmpdir(), 'wasmts-preparer-'));
  await mkdir(path.join(bundle, 'rootfs'));
  await writeFile(path.join(bundle, 'rootfs', 'app.wasm'), 'module');
  await writeFile(path.join(bundle, 'config.json'), JSON.stringify({ root: { path: 'rootfs' }, process: { args: ['/app.wasm'], cwd: '/' } }));
});

afterAll(async () => {
  await rm(bundle, { recursive: true, force: true });
});

const ARTIFACT: ImageModule = { image: 'docker.io/x/app:1', digest: 'sha256:abc', bytes: new Uint8Array([0, 0x61, 0x73, 0x6d]) };

/** An image source that records whom it was asked about. */
function images(answer: () => Promise<ImageModule | undefined>) {
  const asked: string[] = [];
  const source: ImageModuleSource = {
    moduleOf: (id) => {
      asked.push(id);
      return answer();
    },
  };
  return { source, asked };
}

const process = (args: string[]) => ({ args, env: [], cwd: '/', terminal: false });

describe('BundlePreparer.resolveModule', () => {
  it("runs args[0] from the rootfs without asking containerd about the image", async () => {
    const { source, asked } = images(async () => ARTIFACT);
    const preparer = new BundlePreparer(source);
    const container = await preparer.prepare('c1', bundle, []);
    expect(await preparer.resolveModule(container, process(['/app.wasm', 'x']), 'task c1')).toEqual({
      name: '/app.wasm',
      source: { kind: 'file', hostPath: path.join(bundle, 'rootfs', 'app.wasm') },
      args: ['/app.wasm', 'x'],
    });
    expect(asked).toEqual([]);
  });

  it("takes the image's module layer when the rootfs has no such file, keeping the client's argv", async () => {
    const { source, asked } = images(async () => ARTIFACT);
    const preparer = new BundlePreparer(source);
    const container = await preparer.prepare('c1', bundle, []);
    expect(await preparer.resolveModule(container, process(['app', 'x']), 'task c1')).toEqual({
      name: 'docker.io/x/app:1@sha256:abc',
      source: { kind: 'blob', bytes: ARTIFACT.bytes, digest: 'sha256:abc' },
      args: ['app', 'x'],
    });
    expect(asked).toEqual(['c1']);
  });

  it('gives the image name as argv[0] when the client gave no args', async () => {
    const preparer = new BundlePreparer(images(async () => ARTIFACT).source);
    const container = await preparer.prepare('c1', bundle, []);
    expect((await preparer.resolveModule(container, process([]), 'task c1')).args).toEqual(['docker.io/x/app:1']);
  });

  it('keeps the rootfs error when the image is no artifact, and the no-args error when there are no args', async () => {
    const preparer = new BundlePreparer(images(async () => undefined).source);
    const container = await preparer.prepare('c1', bundle, []);
    await expect(preparer.resolveModule(container, process(['/missing.wasm']), 'task c1')).rejects.toThrow("/missing.wasm does not exist in the container's rootfs");
    await expect(preparer.resolveModule(container, process([]), 'task c1')).rejects.toThrow('task c1: the process has no args, so there is no module to run');
  });

  it('says both what the rootfs lacked and why the image could not be checked', async () => {
    const preparer = new BundlePreparer(images(async () => Promise.reject(new UnavailableError('containerd at /run/x.sock: no answer within 30000 ms'))).source);
    const container = await preparer.prepare('c1', bundle, []);
    await expect(preparer.resolveModule(container, process(['/missing.wasm']), 'task c1')).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: "/missing.wasm does not exist in the container's rootfs, and its image could not be checked for a wasm module layer: containerd at /run/x.sock: no answer within 30000 ms",
    });
  });
});
