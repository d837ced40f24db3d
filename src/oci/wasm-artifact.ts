/**
 * Reads wasm OCI artifacts: images whose module is a layer of its own rather
 * than a file in a filesystem layer (the CNCF TAG Runtime wasm artifact
 * layout, which wkg, wasm-to-oci and oras push). containerd stores them but
 * cannot unpack them, so the container's rootfs is empty and the module comes
 * from the content store. This file only decides, from the manifest and the
 * config, which blob is the module; fetching is the caller's.
 *
 * The rules (README, "Wasm OCI artifacts"):
 * - an image is an artifact when its config is `application/vnd.wasm.config.v0+json`
 *   or `…v1+json`, or when a layer has a wasm media type;
 * - if the config lists `layerDigests`, they must be the manifest's layers, in order;
 * - exactly one layer is a core module (`application/wasm`, or the older
 *   `application/vnd.wasm.content.layer.v1+wasm`); a component layer is refused;
 * - argv and the environment are the container's (the config has none).
 */
import { InvalidArgumentError } from '../errors.js';

export const WASM_CONFIG_MEDIA_TYPES: readonly string[] = ['application/vnd.wasm.config.v0+json', 'application/vnd.wasm.config.v1+json'];
export const MODULE_LAYER_MEDIA_TYPES: readonly string[] = [
  'application/wasm',
  'application/vnd.wasm.content.layer.v1+wasm',
  'application/vnd.module.wasm.content.layer.v1+wasm',
];
export const COMPONENT_LAYER_MEDIA_TYPES: readonly string[] = [
  'application/vnd.bytecodealliance.wasm.component.layer.v0+wasm',
  'application/vnd.wasm.component.v1+wasm',
];

const INDEX_MEDIA_TYPES = ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'];

export interface BlobDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture?: string; os?: string };
}

export interface ArtifactManifest {
  config: BlobDescriptor;
  layers: BlobDescriptor[];
}

/** What an image's target turned out to be. */
export type ImageTarget = { kind: 'index'; manifests: BlobDescriptor[] } | { kind: 'manifest'; manifest: ArtifactManifest };

export function isIndexMediaType(mediaType: string): boolean {
  return INDEX_MEDIA_TYPES.includes(mediaType);
}

function descriptorFrom(value: unknown, where: string): BlobDescriptor {
  const d = value as Partial<BlobDescriptor> | null;
  if (d === null || typeof d !== 'object' || typeof d.mediaType !== 'string' || typeof d.digest !== 'string' || typeof d.size !== 'number') {
    throw new InvalidArgumentError(`${where} is not a descriptor (mediaType, digest, size)`);
  }
  return { mediaType: d.mediaType, digest: d.digest, size: d.size, ...(d.platform !== undefined ? { platform: d.platform } : {}) };
}

function parseJson(bytes: Uint8Array, where: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new InvalidArgumentError(`${where} is not a JSON object`);
}

/** An image index or manifest, read from its blob. `where` names it in errors. */
export function parseImageTarget(bytes: Uint8Array, mediaType: string, where: string): ImageTarget {
  const json = parseJson(bytes, where);
  if (isIndexMediaType(mediaType) || Array.isArray(json.manifests)) {
    const manifests = (json.manifests as unknown[] | undefined) ?? [];
    return { kind: 'index', manifests: manifests.map((m, i) => descriptorFrom(m, `${where}: manifests[${i}]`)) };
  }
  const layers = json.layers;
  if (!Array.isArray(layers)) throw new InvalidArgumentError(`${where} has no layers`);
  return {
    kind: 'manifest',
    manifest: {
      config: descriptorFrom(json.config, `${where}: config`),
      layers: layers.map((l, i) => descriptorFrom(l, `${where}: layers[${i}]`)),
    },
  };
}

/** The manifest of an index that a wasm runtime runs: the one for wasm, else the only one. */
export function chooseManifest(manifests: readonly BlobDescriptor[], where: string): BlobDescriptor | undefined {
  const wasm = manifests.filter((m) => m.platform?.architecture === 'wasm');
  if (wasm.length > 0) return wasm[0];
  if (manifests.length === 1) return manifests[0];
  if (manifests.length === 0) throw new InvalidArgumentError(`${where} lists no manifests`);
  return undefined;
}

/** Whether the module of an image with this manifest is a layer (an artifact), not a file in its rootfs. */
export function isWasmArtifact(manifest: ArtifactManifest): boolean {
  return (
    WASM_CONFIG_MEDIA_TYPES.includes(manifest.config.mediaType) ||
    manifest.layers.some((l) => MODULE_LAYER_MEDIA_TYPES.includes(l.mediaType) || COMPONENT_LAYER_MEDIA_TYPES.includes(l.mediaType))
  );
}

/**
 * The layer holding the module, by the rules above, or an error that says why
 * the artifact cannot run. `image` names the image in errors.
 */
export function moduleLayer(manifest: ArtifactManifest, configBytes: Uint8Array, image: string): BlobDescriptor {
  const config = parseJson(configBytes, `image ${image}: config ${manifest.config.digest}`);
  const listed = config.layerDigests;
  if (listed !== undefined) {
    const actual = manifest.layers.map((l) => l.digest);
    if (!Array.isArray(listed) || listed.length !== actual.length || listed.some((d, i) => d !== actual[i])) {
      throw new InvalidArgumentError(
        `image ${image}: its config's layerDigests (${JSON.stringify(listed)}) are not its manifest's layers (${JSON.stringify(actual)})`,
      );
    }
  }
  const modules = manifest.layers.filter((l) => MODULE_LAYER_MEDIA_TYPES.includes(l.mediaType));
  const components = manifest.layers.filter((l) => COMPONENT_LAYER_MEDIA_TYPES.includes(l.mediaType));
  if (modules.length === 0 && (components.length > 0 || config.os === 'wasip2')) {
    const layer = components[0] ?? manifest.layers[0];
    throw new InvalidArgumentError(
      `image ${image} is a WebAssembly component${layer !== undefined ? ` (layer ${layer.digest}, ${layer.mediaType})` : ''}; ` +
        'components (WASI preview 2) are not supported yet: wasmts runs WASI preview 1 core modules',
    );
  }
  if (modules.length === 0) {
    const types = manifest.layers.map((l) => l.mediaType).join(', ') || 'none';
    throw new InvalidArgumentError(`image ${image} has no wasm module layer (${MODULE_LAYER_MEDIA_TYPES[0]}); its layers are: ${types}`);
  }
  if (modules.length > 1) {
    throw new InvalidArgumentError(
      `image ${image} has ${modules.length} wasm module layers (${modules.map((l) => l.digest).join(', ')}); wasmts runs an artifact with exactly one`,
    );
  }
  return modules[0]!;
}
