import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, parseReference, writeImage, type ImageOptions } from '../../../tools/image/image-builder.js';
import { writeTar } from '../../../tools/image/tar-writer.js';

const execFileAsync = promisify(execFile);

const MODULE = Buffer.from('\0asm\x01\0\0\0', 'binary');

const HELLO: ImageOptions = {
  reference: 'docker.io/wasmts/hello:latest',
  entrypoint: ['/hello.wasm'],
  files: [{ path: '/hello.wasm', data: MODULE, mode: 0o755 }],
};

/** Reads a ustar archive back into name → {header fields, data}. */
function readTar(tar: Buffer): Map<string, { type: string; mode: number; uid: number; mtime: number; data: Buffer; linkname: string }> {
  const entries = new Map();
  let offset = 0;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const str = (start: number, len: number): string => header.toString('utf8', start, start + len).replace(/\0.*$/s, '');
    const num = (start: number, len: number): number => parseInt(str(start, len).trim() || '0', 8);
    const size = num(124, 12);
    const prefix = str(345, 155);
    const name = prefix === '' ? str(0, 100) : `${prefix}/${str(0, 100)}`;
    entries.set(name, {
      type: str(156, 1),
      mode: num(100, 8),
      uid: num(108, 8),
      mtime: num(136, 12),
      linkname: str(157, 100),
      data: Buffer.from(tar.subarray(offset + 512, offset + 512 + size)),
    });
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}

function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

function blobOf(layout: ReturnType<typeof readTar>, digest: string): Buffer {
  const entry = layout.get(`blobs/sha256/${digest.replace('sha256:', '')}`);
  if (entry === undefined) throw new Error(`no blob ${digest}`);
  return entry.data;
}

describe('writeTar', () => {
  it('writes ustar headers whose checksums match their bytes', () => {
    const tar = writeTar([
      { type: 'directory', path: 'a', mode: 0o755 },
      { type: 'file', path: 'a/b.txt', data: Buffer.from('hi\n'), mode: 0o644 },
      { type: 'symlink', path: 'a/link', target: 'b.txt' },
    ]);
    expect(tar.length % 512).toBe(0);
    let headers = 0;
    for (let offset = 0; ; ) {
      const header = Buffer.from(tar.subarray(offset, offset + 512));
      if (header.every((b) => b === 0)) break;
      const size = parseInt(header.toString('ascii', 124, 135), 8);
      const stored = parseInt(header.toString('ascii', 148, 154), 8);
      header.fill(0x20, 148, 156);
      expect(stored).toBe(header.reduce((sum, b) => sum + b, 0));
      expect(header.toString('ascii', 257, 265)).toBe('ustar\x0000');
      offset += 512 + Math.ceil(size / 512) * 512;
      headers += 1;
    }
    expect(headers).toBe(3);
  });

  it('splits names longer than 100 bytes into the ustar prefix field', () => {
    const longPath = `${'d'.repeat(80)}/${'f'.repeat(90)}`;
    const tar = writeTar([{ type: 'file', path: longPath, data: Buffer.from('x'), mode: 0o644 }]);
    expect([...readTar(tar).keys()]).toEqual([longPath]);
  });

  it('refuses a name that cannot fit ustar', () => {
    expect(() => writeTar([{ type: 'file', path: 'x'.repeat(300), data: Buffer.alloc(0), mode: 0o644 }])).toThrow(/too long for ustar/);
  });
});

describe('buildImage', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wasmts-image-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives the same bytes and digests on every build', async () => {
    const first = await buildImage(HELLO);
    const second = await buildImage({ ...HELLO, files: [...HELLO.files] });
    expect(second.tar.equals(first.tar)).toBe(true);
    expect(second.manifestDigest).toBe(first.manifestDigest);
    expect(second.layerDigest).toBe(first.layerDigest);
  });

  it('changes the digests when a file changes', async () => {
    const first = await buildImage(HELLO);
    const changed = await buildImage({ ...HELLO, files: [{ path: '/hello.wasm', data: Buffer.from('other'), mode: 0o755 }] });
    expect(changed.layerDigest).not.toBe(first.layerDigest);
    expect(changed.manifestDigest).not.toBe(first.manifestDigest);
  });

  it('writes an OCI layout that GNU tar lists with root ownership and mtime 0', async () => {
    const tarPath = path.join(dir, 'layout.tar');
    await writeImage(tarPath, HELLO);
    const { stdout } = await execFileAsync('tar', ['--numeric-owner', '-tvf', tarPath]);
    const lines = stdout.trim().split('\n');
    expect(lines.map((l) => l.split(/\s+/).pop())).toEqual([
      'blobs/',
      'blobs/sha256/',
      ...lines.slice(2, 5).map((l) => l.split(/\s+/).pop()),
      'index.json',
      'oci-layout',
    ]);
    for (const line of lines) {
      expect(line).toMatch(/^[d-]r[w-]xr-xr-x|^-rw-r--r--/);
      expect(line).toContain(' 0/0 ');
      expect(line).toContain('1970-01-01 00:00');
    }
  });

  it('writes index.json with one wasi/wasm manifest named for containerd', async () => {
    const image = await buildImage(HELLO);
    const layout = readTar(image.tar);
    expect(JSON.parse(layout.get('oci-layout')!.data.toString())).toEqual({ imageLayoutVersion: '1.0.0' });
    const index = JSON.parse(layout.get('index.json')!.data.toString());
    expect(index).toEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: image.manifestDigest,
          size: blobOf(layout, image.manifestDigest).length,
          platform: { architecture: 'wasm', os: 'wasi' },
          annotations: {
            'io.containerd.image.name': 'docker.io/wasmts/hello:latest',
            'org.opencontainers.image.ref.name': 'latest',
          },
        },
      ],
    });
  });

  it('stores every blob under its own sha256 and describes it in the manifest', async () => {
    const image = await buildImage(HELLO);
    const layout = readTar(image.tar);
    const manifestBytes = blobOf(layout, image.manifestDigest);
    expect(sha256(manifestBytes)).toBe(image.manifestDigest);
    const manifest = JSON.parse(manifestBytes.toString());
    expect(manifest).toMatchObject({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: image.configDigest },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: image.layerDigest }],
    });
    for (const descriptor of [manifest.config, ...manifest.layers]) {
      const bytes = blobOf(layout, descriptor.digest);
      expect(sha256(bytes)).toBe(descriptor.digest);
      expect(bytes.length).toBe(descriptor.size);
    }
  });

  it('writes a wasi/wasm config with the entrypoint, cmd, env, working dir, labels and diff id', async () => {
    const image = await buildImage({
      ...HELLO,
      cmd: ['a1'],
      env: ['K=V'],
      workingDir: '/work',
      labels: { 'z.label': '2', 'module.wasm.image/variant': 'compat' },
    });
    const layout = readTar(image.tar);
    const config = JSON.parse(blobOf(layout, image.configDigest).toString());
    expect(config).toEqual({
      architecture: 'wasm',
      os: 'wasi',
      config: {
        Entrypoint: ['/hello.wasm'],
        Cmd: ['a1'],
        Env: ['K=V'],
        WorkingDir: '/work',
        Labels: { 'module.wasm.image/variant': 'compat', 'z.label': '2' },
      },
      rootfs: { type: 'layers', diff_ids: [image.diffId] },
    });
    const layerTar = gunzipSync(blobOf(layout, image.layerDigest));
    expect(sha256(layerTar)).toBe(image.diffId);
  });

  it('puts the files in one layer with their parent directories, sorted, paths relative to /', async () => {
    const image = await buildImage({
      ...HELLO,
      files: [
        { path: '/lib/mod/b.wasm', data: 'b' },
        { path: '/app.wasm', data: MODULE, mode: 0o755 },
        { type: 'symlink', path: '/lib/link', target: 'mod/b.wasm' },
        { type: 'directory', path: '/data', mode: 0o700 },
      ],
    });
    const layer = readTar(gunzipSync(blobOf(readTar(image.tar), image.layerDigest)));
    expect([...layer.keys()]).toEqual(['app.wasm', 'data/', 'lib/', 'lib/link', 'lib/mod/', 'lib/mod/b.wasm']);
    expect(layer.get('app.wasm')).toMatchObject({ type: '0', mode: 0o755, uid: 0, mtime: 0, data: MODULE });
    expect(layer.get('data/')).toMatchObject({ type: '5', mode: 0o700 });
    expect(layer.get('lib/')).toMatchObject({ type: '5', mode: 0o755 });
    expect(layer.get('lib/link')).toMatchObject({ type: '2', linkname: 'mod/b.wasm' });
    expect(layer.get('lib/mod/b.wasm')).toMatchObject({ mode: 0o644, data: Buffer.from('b') });
  });

  it('writes a layer GNU tar extracts with the right contents and modes', async () => {
    const image = await buildImage(HELLO);
    const layerPath = path.join(dir, 'layer.tar');
    await writeFile(layerPath, gunzipSync(blobOf(readTar(image.tar), image.layerDigest)));
    const out = path.join(dir, 'extracted');
    await execFileAsync('mkdir', ['-p', out]);
    await execFileAsync('tar', ['-xf', layerPath, '-C', out]);
    expect((await readFile(path.join(out, 'hello.wasm'))).equals(MODULE)).toBe(true);
  });

  it('rejects paths that climb out of the root and duplicate files', async () => {
    await expect(buildImage({ ...HELLO, files: [{ path: '/../etc/passwd', data: 'x' }] })).rejects.toThrow(/must not contain "\.\."/);
    await expect(
      buildImage({ ...HELLO, files: [{ path: '/a', data: 'x' }, { path: 'a', data: 'y' }] }),
    ).rejects.toThrow(/listed twice/);
    await expect(buildImage({ ...HELLO, entrypoint: [] })).rejects.toThrow(/needs an entrypoint/);
  });
});

describe('parseReference', () => {
  it('adds the latest tag when the reference has none', () => {
    expect(parseReference('localhost:5000/wasmts/hello')).toEqual({ reference: 'localhost:5000/wasmts/hello:latest', tag: 'latest' });
    expect(parseReference('docker.io/wasmts/hello:v1')).toEqual({ reference: 'docker.io/wasmts/hello:v1', tag: 'v1' });
  });

  it('refuses digest references', () => {
    expect(() => parseReference('docker.io/wasmts/hello@sha256:abc')).toThrow(/tag, not a digest/);
  });
});
