/**
 * Writes wasm OCI artifacts (the CNCF TAG Runtime wasm artifact layout, as
 * wkg, wasm-to-oci and oras push them) as an OCI image layout tar: a manifest
 * whose config is `application/vnd.wasm.config.v0+json` or `…v1+json` and
 * whose layers are the raw module bytes (`application/wasm`), with no
 * filesystem layer at all. containerd stores such an image but cannot unpack
 * it (`ctr images import --no-unpack`); wasmts reads the module from the
 * content store.
 */

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ANNOTATION, blob, MEDIA_TYPE, parseReference } from './image-builder.js';
import { writeTar, type TarEntry } from './tar-writer.js';

export const ARTIFACT_MEDIA_TYPE = {
  configV0: 'application/vnd.wasm.config.v0+json',
  configV1: 'application/vnd.wasm.config.v1+json',
  wasmLayer: 'application/wasm',
  componentLayer: 'application/vnd.bytecodealliance.wasm.component.layer.v0+wasm',
} as const;

export interface ArtifactLayer {
  bytes: Uint8Array;
  /** Defaults to `application/wasm`. */
  mediaType?: string;
}

export interface ArtifactOptions {
  /** Full reference, e.g. `docker.io/wasmts/hello-artifact:latest`. */
  reference: string;
  /** `v1` writes `layerDigests` in the config; `v0` writes the older config without it. */
  configVersion: 'v0' | 'v1';
  layers: readonly ArtifactLayer[];
  /** The config's `os`: `wasip1` for a core module (the default), `wasip2` for a component. */
  os?: string;
}

export interface BuiltArtifact {
  tar: Buffer;
  reference: string;
  manifestDigest: string;
  configDigest: string;
  layerDigests: string[];
}

/** A fixed creation time keeps the digests reproducible. */
const CREATED = '2026-01-01T00:00:00Z';

export function buildArtifact(options: ArtifactOptions): BuiltArtifact {
  const { reference, tag } = parseReference(options.reference);
  const layers = options.layers.map((layer) => blob(layer.mediaType ?? ARTIFACT_MEDIA_TYPE.wasmLayer, Buffer.from(layer.bytes)));
  const configMediaType = options.configVersion === 'v1' ? ARTIFACT_MEDIA_TYPE.configV1 : ARTIFACT_MEDIA_TYPE.configV0;
  const configBody: Record<string, unknown> = { created: CREATED, architecture: 'wasm', os: options.os ?? 'wasip1' };
  if (options.configVersion === 'v1') configBody.layerDigests = layers.map((l) => l.descriptor.digest);
  const config = blob(configMediaType, Buffer.from(JSON.stringify(configBody)));
  const manifest = blob(
    MEDIA_TYPE.manifest,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPE.manifest,
        config: config.descriptor,
        layers: layers.map((l) => l.descriptor),
      }),
    ),
  );
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.index,
    manifests: [{ ...manifest.descriptor, annotations: { [ANNOTATION.containerdImageName]: reference, [ANNOTATION.refName]: tag } }],
  };
  const unique = new Map([...layers, config, manifest].map((b) => [b.hex, b]));
  const blobs = [...unique.values()].sort((a, b) => (a.hex < b.hex ? -1 : a.hex > b.hex ? 1 : 0));
  const entries: TarEntry[] = [
    { type: 'directory', path: 'blobs', mode: 0o755 },
    { type: 'directory', path: 'blobs/sha256', mode: 0o755 },
    ...blobs.map((b): TarEntry => ({ type: 'file', path: `blobs/sha256/${b.hex}`, data: b.bytes, mode: 0o644 })),
    { type: 'file', path: 'index.json', data: Buffer.from(JSON.stringify(index)), mode: 0o644 },
    { type: 'file', path: 'oci-layout', data: Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })), mode: 0o644 },
  ];
  return {
    tar: writeTar(entries),
    reference,
    manifestDigest: manifest.descriptor.digest,
    configDigest: config.descriptor.digest,
    layerDigests: layers.map((l) => l.descriptor.digest),
  };
}

/** Builds the artifact and writes its tar to `tarPath`, creating parent directories. */
export async function writeArtifact(tarPath: string, options: ArtifactOptions): Promise<BuiltArtifact> {
  const artifact = buildArtifact(options);
  await mkdir(dirname(tarPath), { recursive: true });
  await writeFile(tarPath, artifact.tar);
  return artifact;
}
