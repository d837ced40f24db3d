import { createHash } from 'node:crypto';
import http2 from 'node:http2';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { containerd } from '../../../src/generated/index.js';
import { ContainerdImageModules, IMAGE_LABEL } from '../../../src/shim/containerd/image-modules.js';

const MODULE = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
const digestOf = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** A containerd that knows containers, images and blobs, answering the three calls the lookup makes. */
class FakeContainerd {
  readonly containers = new Map<string, { image?: string; labels?: Record<string, string> }>();
  readonly images = new Map<string, { mediaType: string; digest: string; size: number }>();
  readonly blobs = new Map<string, Uint8Array>();
  readonly namespaces: string[] = [];
  /** Bytes per ReadContentResponse: a blob arrives in several messages. */
  chunkSize = 3;
  private server: http2.Http2Server | undefined;

  blob(bytes: Uint8Array, mediaType: string) {
    const digest = digestOf(bytes);
    this.blobs.set(digest, bytes);
    return { mediaType, digest, size: bytes.length };
  }

  artifact(name: string, layers: { bytes: Uint8Array; mediaType: string }[], config: object = { architecture: 'wasm', os: 'wasip1' }) {
    const layerDescriptors = layers.map((l) => this.blob(l.bytes, l.mediaType));
    const configDescriptor = this.blob(Buffer.from(JSON.stringify(config)), 'application/vnd.wasm.config.v0+json');
    const manifest = this.blob(
      Buffer.from(JSON.stringify({ schemaVersion: 2, config: configDescriptor, layers: layerDescriptors })),
      'application/vnd.oci.image.manifest.v1+json',
    );
    this.images.set(name, manifest);
    return { manifest, layers: layerDescriptors };
  }

  listen(socket: string): Promise<void> {
    this.server = http2.createServer();
    this.server.on('stream', (stream, headers) => {
      this.namespaces.push(String(headers['containerd-namespace']));
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => this.answer(stream, String(headers[':path']), Buffer.concat(chunks).subarray(5)));
    });
    return new Promise((resolve) => this.server!.listen(socket, () => resolve()));
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
  }

  private answer(stream: http2.ServerHttp2Stream, method: string, request: Buffer): void {
    const fail = (status: number, message: string) =>
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(status), 'grpc-message': encodeURIComponent(message) }, { endStream: true });
    const reply = (messages: Uint8Array[]) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      for (const m of messages) {
        const prefix = Buffer.alloc(5);
        prefix.writeUInt32BE(m.length, 1);
        stream.write(Buffer.concat([prefix, m]));
      }
      stream.end();
    };
    const v1 = containerd.services;
    if (method === '/containerd.services.containers.v1.Containers/Get') {
      const { id } = v1.containers.v1.GetContainerRequest.decode(request);
      const container = this.containers.get(id);
      if (container === undefined) return fail(5, `container "${id}" in namespace "k8s.io": not found`);
      return reply([v1.containers.v1.GetContainerResponse.encode({ container: { id, image: container.image ?? '', labels: container.labels ?? {} } }).finish()]);
    }
    if (method === '/containerd.services.images.v1.Images/Get') {
      const { name } = v1.images.v1.GetImageRequest.decode(request);
      const target = this.images.get(name);
      if (target === undefined) return fail(5, `image "${name}": not found`);
      return reply([v1.images.v1.GetImageResponse.encode({ image: { name, target } }).finish()]);
    }
    if (method === '/containerd.services.content.v1.Content/Read') {
      const { digest } = v1.content.v1.ReadContentRequest.decode(request);
      const bytes = this.blobs.get(digest);
      if (bytes === undefined) return fail(5, `content digest ${digest}: not found`);
      const messages: Uint8Array[] = [];
      for (let offset = 0; offset < bytes.length; offset += this.chunkSize) {
        messages.push(v1.content.v1.ReadContentResponse.encode({ offset, data: bytes.subarray(offset, offset + this.chunkSize) }).finish());
      }
      return reply(messages);
    }
    fail(12, `unknown method ${method}`);
  }
}

describe('ContainerdImageModules', () => {
  let dir: string;
  let fake: FakeContainerd;
  let modules: ContainerdImageModules;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wasmts-image-modules-'));
    fake = new FakeContainerd();
    await fake.listen(path.join(dir, 'containerd.sock'));
    modules = new ContainerdImageModules({ socketFile: path.join(dir, 'containerd.sock'), namespace: 'k8s.io', timeoutMs: 5_000 });
  });

  afterEach(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("follows container → image → manifest to the module layer, in the daemon's namespace", async () => {
    const { layers } = fake.artifact('docker.io/x/app:1', [{ bytes: MODULE, mediaType: 'application/wasm' }]);
    fake.containers.set('c1', { image: 'docker.io/x/app:1' });
    expect(await modules.moduleOf('c1')).toEqual({ image: 'docker.io/x/app:1', digest: layers[0]!.digest, bytes: MODULE });
    expect(new Set(fake.namespaces)).toEqual(new Set(['k8s.io']));
  });

  it('finds the image through the wasmts image label when the container names none (ctr run --rootfs)', async () => {
    fake.artifact('docker.io/x/app:1', [{ bytes: MODULE, mediaType: 'application/wasm' }]);
    fake.containers.set('c1', { labels: { [IMAGE_LABEL]: 'docker.io/x/app:1' } });
    expect((await modules.moduleOf('c1'))?.bytes).toEqual(MODULE);
  });

  it('has nothing for a container without an image, an image containerd no longer has, or a filesystem image', async () => {
    fake.containers.set('bare', {});
    fake.containers.set('gone', { image: 'docker.io/x/removed:1' });
    const layer = fake.blob(Buffer.from('tar bytes'), 'application/vnd.oci.image.layer.v1.tar+gzip');
    const config = fake.blob(Buffer.from('{"architecture":"wasm","os":"wasi"}'), 'application/vnd.oci.image.config.v1+json');
    fake.images.set('docker.io/x/fs:1', fake.blob(Buffer.from(JSON.stringify({ config, layers: [layer] })), 'application/vnd.oci.image.manifest.v1+json'));
    fake.containers.set('fs', { image: 'docker.io/x/fs:1' });
    expect(await modules.moduleOf('bare')).toBeUndefined();
    expect(await modules.moduleOf('gone')).toBeUndefined();
    expect(await modules.moduleOf('fs')).toBeUndefined();
  });

  it('names the digest of a module blob that is missing or corrupt', async () => {
    const { layers } = fake.artifact('docker.io/x/app:1', [{ bytes: MODULE, mediaType: 'application/wasm' }]);
    fake.containers.set('c1', { image: 'docker.io/x/app:1' });
    const digest = layers[0]!.digest;
    fake.blobs.set(digest, Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x01]));
    await expect(modules.moduleOf('c1')).rejects.toThrow(`image docker.io/x/app:1: module layer ${digest} in containerd's content store is corrupt: its bytes hash to sha256:`);
    fake.blobs.set(digest, MODULE.subarray(0, 5));
    await expect(modules.moduleOf('c1')).rejects.toThrow(`module layer ${digest} in containerd's content store is corrupt: it is 5 bytes, not 8`);
    fake.blobs.delete(digest);
    await expect(modules.moduleOf('c1')).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: `image docker.io/x/app:1: module layer ${digest} is missing from containerd's content store`,
    });
  });

  it('refuses a component artifact before reading its layer', async () => {
    fake.artifact('docker.io/x/comp:1', [{ bytes: Buffer.from('component'), mediaType: 'application/vnd.bytecodealliance.wasm.component.layer.v0+wasm' }], { os: 'wasip2' });
    fake.containers.set('c1', { image: 'docker.io/x/comp:1' });
    await expect(modules.moduleOf('c1')).rejects.toThrow(/components \(WASI preview 2\) are not supported yet/);
  });

  it('says which containerd it could not reach', async () => {
    const nowhere = new ContainerdImageModules({ socketFile: path.join(dir, 'absent.sock'), namespace: 'default', timeoutMs: 2_000 });
    await expect(nowhere.moduleOf('c1')).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE', message: new RegExp(`containerd at ${dir}/absent.sock`) });
  });
});
