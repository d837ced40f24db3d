/**
 * Writes single-layer OCI image layouts, as a tar, for wasm/wasi images that
 * `ctr images import --all-platforms` (containerd 1.6+) accepts. No docker or
 * registry is involved, and the output is byte-for-byte reproducible: the same
 * options always give the same digests.
 *
 * Formats: OCI image-spec v1.0 (image-layout.md, image-index.md, manifest.md,
 * config.md). containerd takes the image name from the index annotation
 * `io.containerd.image.name`.
 */

import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { gzip, constants as zlibConstants } from 'node:zlib';
import { InvalidArgumentError } from '../../src/errors.js';
import { layerEntries, type ImageFile } from './image-layer.js';
import { writeTar, type TarEntry } from './tar-writer.js';

export type { ImageFile } from './image-layer.js';

export const MEDIA_TYPE = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

export const ANNOTATION = {
  containerdImageName: 'io.containerd.image.name',
  refName: 'org.opencontainers.image.ref.name',
} as const;

export const WASM_PLATFORM = { architecture: 'wasm', os: 'wasi' } as const;

export interface ImageOptions {
  /** Full reference, e.g. `docker.io/wasmts/hello:latest`; `:latest` is added when there is no tag. */
  reference: string;
  entrypoint: readonly string[];
  cmd?: readonly string[];
  /** `KEY=value` entries. */
  env?: readonly string[];
  /** Defaults to `/`. */
  workingDir?: string;
  labels?: Readonly<Record<string, string>>;
  files: readonly ImageFile[];
  /** Defaults to wasi/wasm; benchmarks also build a linux/amd64 image for runc. */
  platform?: { architecture: string; os: string };
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string };
  annotations?: Record<string, string>;
}

export interface BuiltImage {
  /** The OCI image layout as a tar, ready for `ctr images import --all-platforms`. */
  tar: Buffer;
  /** The reference containerd imports it under (with the tag filled in). */
  reference: string;
  /** What `ctr images ls` shows as DIGEST. */
  manifestDigest: string;
  configDigest: string;
  layerDigest: string;
  /** sha256 of the uncompressed layer tar (`rootfs.diff_ids[0]`). */
  diffId: string;
}

const gzipAsync = promisify(gzip);

export async function buildImage(options: ImageOptions): Promise<BuiltImage> {
  const { reference, tag } = parseReference(options.reference);
  if (options.entrypoint.length === 0) {
    throw new InvalidArgumentError(`image ${reference} needs an entrypoint`);
  }

  const layerTar = writeTar(layerEntries(options.files));
  // Node's gzip header carries no name and mtime 0; fixing the level keeps the
  // compressed bytes stable too.
  const layerGz = await gzipAsync(layerTar, { level: zlibConstants.Z_BEST_COMPRESSION });
  const diffId = sha256Digest(layerTar);
  const layer = blob(MEDIA_TYPE.layerGzip, layerGz);

  const config = blob(MEDIA_TYPE.config, canonicalJson(imageConfig(options, diffId)));
  const manifest = blob(
    MEDIA_TYPE.manifest,
    canonicalJson({
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.manifest,
      config: config.descriptor,
      layers: [layer.descriptor],
    }),
  );
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.index,
    manifests: [
      {
        ...manifest.descriptor,
        platform: { ...(options.platform ?? WASM_PLATFORM) },
        annotations: {
          [ANNOTATION.containerdImageName]: reference,
          [ANNOTATION.refName]: tag,
        },
      },
    ],
  };

  const blobs = [layer, config, manifest].sort((a, b) => (a.hex < b.hex ? -1 : a.hex > b.hex ? 1 : 0));
  const entries: TarEntry[] = [
    { type: 'directory', path: 'blobs', mode: 0o755 },
    { type: 'directory', path: 'blobs/sha256', mode: 0o755 },
    ...blobs.map((b): TarEntry => ({ type: 'file', path: `blobs/sha256/${b.hex}`, data: b.bytes, mode: 0o644 })),
    { type: 'file', path: 'index.json', data: canonicalJson(index), mode: 0o644 },
    { type: 'file', path: 'oci-layout', data: canonicalJson({ imageLayoutVersion: '1.0.0' }), mode: 0o644 },
  ];

  return {
    tar: writeTar(entries),
    reference,
    manifestDigest: manifest.descriptor.digest,
    configDigest: config.descriptor.digest,
    layerDigest: layer.descriptor.digest,
    diffId,
  };
}

/** Builds the image and writes its tar to `tarPath`, creating parent directories. */
export async function writeImage(tarPath: string, options: ImageOptions): Promise<BuiltImage> {
  const image = await buildImage(options);
  await mkdir(dirname(tarPath), { recursive: true });
  await writeFile(tarPath, image.tar);
  return image;
}

function imageConfig(options: ImageOptions, diffId: string): object {
  const config: Record<string, unknown> = { Entrypoint: [...options.entrypoint] };
  if (options.cmd !== undefined) config.Cmd = [...options.cmd];
  if (options.env !== undefined) config.Env = [...options.env];
  config.WorkingDir = options.workingDir ?? '/';
  if (options.labels !== undefined) config.Labels = sortedRecord(options.labels);
  return {
    architecture: (options.platform ?? WASM_PLATFORM).architecture,
    os: (options.platform ?? WASM_PLATFORM).os,
    config,
    rootfs: { type: 'layers', diff_ids: [diffId] },
  };
}

/** `registry/name:tag` → reference with a tag, and the tag. Digest references are refused. */
export function parseReference(reference: string): { reference: string; tag: string } {
  if (reference.includes('@')) {
    throw new InvalidArgumentError(`image reference ${reference} must use a tag, not a digest`);
  }
  const lastSlash = reference.lastIndexOf('/');
  const colon = reference.indexOf(':', lastSlash + 1);
  const name = colon === -1 ? reference : reference.slice(0, colon);
  const tag = colon === -1 ? 'latest' : reference.slice(colon + 1);
  if (name === '' || name.endsWith('/') || !/^[\w][\w.-]{0,127}$/.test(tag)) {
    throw new InvalidArgumentError(`image reference ${JSON.stringify(reference)} is not of the form name[:tag]`);
  }
  return { reference: `${name}:${tag}`, tag };
}

/** A blob of the layout: its bytes, and the descriptor that names them. */
export interface Blob {
  hex: string;
  bytes: Buffer;
  descriptor: Descriptor;
}

export function blob(mediaType: string, bytes: Buffer): Blob {
  const hex = createHash('sha256').update(bytes).digest('hex');
  return { hex, bytes, descriptor: { mediaType, digest: `sha256:${hex}`, size: bytes.length } };
}

function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** JSON with the key order of the objects built above, no whitespace. */
function canonicalJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

function sortedRecord(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
