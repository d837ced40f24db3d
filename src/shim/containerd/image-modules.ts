/**
 * Finds the module of a container whose image is a wasm OCI artifact, over
 * containerd's gRPC API: the container's metadata names its image, the image
 * names its manifest, and the manifest (by the rules of oci/wasm-artifact.ts)
 * names the layer that is the module, which is read from the content store and
 * checked against its digest.
 */
import { createHash } from 'node:crypto';
import { InvalidArgumentError, WasmtsError } from '../../errors.js';
import { containerd } from '../../generated/index.js';
import type { ImageModule, ImageModuleSource } from '../../oci/container.js';
import { type BlobDescriptor, chooseManifest, isWasmArtifact, moduleLayer, parseImageTarget } from '../../oci/wasm-artifact.js';
import type { GrpcClient } from './grpc-client.js';

const GET_CONTAINER = '/containerd.services.containers.v1.Containers/Get';
const GET_IMAGE = '/containerd.services.images.v1.Images/Get';
const READ_CONTENT = '/containerd.services.content.v1.Content/Read';

/**
 * A container label naming its image, for clients that cannot create a
 * container from an artifact image (ctr: `ctr run --rootfs DIR --label
 * io.containerd.wasmts.v1.image=REF`); the container's own image field wins.
 */
export const IMAGE_LABEL = 'io.containerd.wasmts.v1.image';

/** Manifests and configs are small; a blob this large in their place is not one. */
const METADATA_LIMIT_BYTES = 4 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;

export interface ContainerdImageModulesOptions {
  /** containerd's gRPC socket. */
  socketFile: string;
  namespace: string;
  /** Per call; a module's Read is one call. */
  timeoutMs?: number;
}

export class ContainerdImageModules implements ImageModuleSource {
  private readonly options: Required<ContainerdImageModulesOptions>;

  constructor(options: ContainerdImageModulesOptions) {
    this.options = { timeoutMs: DEFAULT_TIMEOUT_MS, ...options };
  }

  async moduleOf(containerId: string): Promise<ImageModule | undefined> {
    // Loaded on first use: Node's HTTP/2 client costs a daemon's boot about 20 ms, and most
    // containers' modules are in their rootfs.
    const { GrpcClient } = await import('./grpc-client.js');
    const client = new GrpcClient({ socketFile: this.options.socketFile, namespace: this.options.namespace });
    try {
      const image = await this.imageOf(client, containerId);
      if (image === undefined) return undefined;
      const target = await this.targetOf(client, image);
      if (target === undefined) return undefined;
      let parsed = parseImageTarget(await this.read(client, target, `image ${image}: manifest`, METADATA_LIMIT_BYTES), target.mediaType, `image ${image}: manifest ${target.digest}`);
      if (parsed.kind === 'index') {
        const chosen = chooseManifest(parsed.manifests, `image ${image}: index ${target.digest}`);
        if (chosen === undefined) return undefined;
        parsed = parseImageTarget(await this.read(client, chosen, `image ${image}: manifest`, METADATA_LIMIT_BYTES), chosen.mediaType, `image ${image}: manifest ${chosen.digest}`);
        if (parsed.kind === 'index') return undefined;
      }
      const manifest = parsed.manifest;
      if (!isWasmArtifact(manifest)) return undefined;
      const config = await this.read(client, manifest.config, `image ${image}: config`, METADATA_LIMIT_BYTES);
      const layer = moduleLayer(manifest, config, image);
      const bytes = await this.read(client, layer, `image ${image}: module layer`);
      return { image, digest: layer.digest, bytes };
    } finally {
      client.close();
    }
  }

  private async imageOf(client: GrpcClient, containerId: string): Promise<string | undefined> {
    const request = containerd.services.containers.v1.GetContainerRequest.encode({ id: containerId }).finish();
    const answer = containerd.services.containers.v1.GetContainerResponse.decode(await client.unary(GET_CONTAINER, request, this.options.timeoutMs));
    const container = answer.container;
    return container?.image || container?.labels?.[IMAGE_LABEL] || undefined;
  }

  /** The image's target, or undefined when containerd no longer has the image. */
  private async targetOf(client: GrpcClient, image: string): Promise<BlobDescriptor | undefined> {
    const request = containerd.services.images.v1.GetImageRequest.encode({ name: image }).finish();
    let answer;
    try {
      answer = containerd.services.images.v1.GetImageResponse.decode(await client.unary(GET_IMAGE, request, this.options.timeoutMs));
    } catch (error) {
      if (error instanceof WasmtsError && error.code === 'ERR_NOT_FOUND') return undefined;
      throw error;
    }
    const target = answer.image?.target;
    if (target === undefined || target === null || !target.digest) return undefined;
    return { mediaType: target.mediaType ?? '', digest: target.digest, size: Number(target.size ?? 0) };
  }

  /** A whole blob, checked against its descriptor's size and sha256 digest. */
  private async read(client: GrpcClient, descriptor: BlobDescriptor, what: string, limit = Number.MAX_SAFE_INTEGER): Promise<Uint8Array> {
    const name = `${what} ${descriptor.digest}`;
    if (descriptor.size > limit) throw new InvalidArgumentError(`${name} is ${descriptor.size} bytes, more than such a blob can be (${limit})`);
    const request = containerd.services.content.v1.ReadContentRequest.encode({ digest: descriptor.digest, offset: 0, size: 0 }).finish();
    const chunks: Uint8Array[] = [];
    let received = 0;
    try {
      await client.call(READ_CONTENT, request, this.options.timeoutMs, (message) => {
        const { data } = containerd.services.content.v1.ReadContentResponse.decode(message);
        received += data.length;
        if (received > descriptor.size) throw new InvalidArgumentError(`${name} in containerd's content store is corrupt: it is larger than its ${descriptor.size} bytes`);
        chunks.push(data);
      });
    } catch (error) {
      if (error instanceof WasmtsError && error.code === 'ERR_NOT_FOUND') {
        throw new InvalidArgumentError(`${name} is missing from containerd's content store`, { cause: error });
      }
      throw error;
    }
    const bytes = Buffer.concat(chunks);
    if (bytes.length !== descriptor.size) {
      throw new InvalidArgumentError(`${name} in containerd's content store is corrupt: it is ${bytes.length} bytes, not ${descriptor.size}`);
    }
    if (descriptor.digest.startsWith('sha256:')) {
      const actual = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      if (actual !== descriptor.digest) {
        throw new InvalidArgumentError(`${name} in containerd's content store is corrupt: its bytes hash to ${actual}`);
      }
    }
    return bytes;
  }
}
