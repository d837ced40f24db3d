import { describe, expect, it } from 'vitest';
import { chooseManifest, isWasmArtifact, moduleLayer, parseImageTarget, type ArtifactManifest } from '../../../src/oci/wasm-artifact.js';

const CONFIG_V0 = 'application/vnd.wasm.config.v0+json';
const CONFIG_V1 = 'application/vnd.wasm.config.v1+json';
const WASM = 'application/wasm';
const COMPONENT = 'application/vnd.bytecodealliance.wasm.component.layer.v0+wasm';
const digest = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;

function manifest(configType: string, ...layerTypes: string[]): ArtifactManifest {
  return {
    config: { mediaType: configType, digest: digest(9), size: 10 },
    layers: layerTypes.map((mediaType, i) => ({ mediaType, digest: digest(i + 1), size: 100 })),
  };
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('isWasmArtifact', () => {
  it('knows an artifact by its wasm config or by a wasm layer, and a filesystem image by neither', () => {
    expect(isWasmArtifact(manifest(CONFIG_V0, WASM))).toBe(true);
    expect(isWasmArtifact(manifest(CONFIG_V1, WASM))).toBe(true);
    expect(isWasmArtifact(manifest('application/vnd.oci.image.config.v1+json', 'application/vnd.wasm.content.layer.v1+wasm'))).toBe(true);
    expect(isWasmArtifact(manifest('application/vnd.oci.image.config.v1+json', 'application/vnd.oci.image.layer.v1.tar+gzip'))).toBe(false);
  });
});

describe('moduleLayer', () => {
  it('takes the one module layer of a v0 artifact', () => {
    expect(moduleLayer(manifest(CONFIG_V0, WASM), json({ architecture: 'wasm', os: 'wasip1' }), 'img')).toMatchObject({ digest: digest(1) });
  });

  it('checks a v1 config lists the manifest layers, in order', () => {
    const m = manifest(CONFIG_V1, WASM, 'text/plain');
    expect(moduleLayer(m, json({ layerDigests: [digest(1), digest(2)] }), 'img').digest).toBe(digest(1));
    expect(() => moduleLayer(m, json({ layerDigests: [digest(2), digest(1)] }), 'img')).toThrow(/image img: its config's layerDigests .* are not its manifest's layers/);
    expect(() => moduleLayer(m, json({ layerDigests: [digest(1)] }), 'img')).toThrow(/layerDigests/);
  });

  it('refuses a component, naming its layer and saying components are not supported yet', () => {
    expect(() => moduleLayer(manifest(CONFIG_V1, COMPONENT), json({ os: 'wasip2' }), 'ghcr.io/x/app:1')).toThrow(
      `image ghcr.io/x/app:1 is a WebAssembly component (layer ${digest(1)}, ${COMPONENT}); components (WASI preview 2) are not supported yet`,
    );
    expect(() => moduleLayer(manifest(CONFIG_V1, 'application/octet-stream'), json({ os: 'wasip2' }), 'img')).toThrow(/is a WebAssembly component/);
  });

  it('refuses an artifact with no module layer, or with more than one', () => {
    expect(() => moduleLayer(manifest(CONFIG_V0, 'text/plain'), json({}), 'img')).toThrow('image img has no wasm module layer (application/wasm); its layers are: text/plain');
    expect(() => moduleLayer(manifest(CONFIG_V0, WASM, WASM), json({}), 'img')).toThrow(`image img has 2 wasm module layers (${digest(1)}, ${digest(2)}); wasmts runs an artifact with exactly one`);
  });

  it('refuses a config that is not JSON, naming its digest', () => {
    expect(() => moduleLayer(manifest(CONFIG_V0, WASM), Buffer.from('not json'), 'img')).toThrow(`image img: config ${digest(9)} is not a JSON object`);
  });
});

describe('parseImageTarget and chooseManifest', () => {
  it('reads a manifest and an index, and picks the wasm manifest of an index', () => {
    const parsed = parseImageTarget(json({ schemaVersion: 2, config: { mediaType: CONFIG_V0, digest: digest(9), size: 2 }, layers: [{ mediaType: WASM, digest: digest(1), size: 3 }] }), 'application/vnd.oci.image.manifest.v1+json', 'm');
    expect(parsed).toEqual({ kind: 'manifest', manifest: { config: { mediaType: CONFIG_V0, digest: digest(9), size: 2 }, layers: [{ mediaType: WASM, digest: digest(1), size: 3 }] } });
    const index = parseImageTarget(
      json({ manifests: [
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest(1), size: 5, platform: { architecture: 'amd64', os: 'linux' } },
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest(2), size: 5, platform: { architecture: 'wasm', os: 'wasip1' } },
      ] }),
      'application/vnd.oci.image.index.v1+json',
      'i',
    );
    expect(index.kind).toBe('index');
    if (index.kind !== 'index') return;
    expect(chooseManifest(index.manifests, 'i')?.digest).toBe(digest(2));
    expect(chooseManifest([index.manifests[0]!], 'i')?.digest).toBe(digest(1));
    expect(chooseManifest(index.manifests.map((m) => ({ ...m, platform: { architecture: 'arm64' } })), 'i')).toBeUndefined();
  });

  it('names what is wrong with a malformed manifest', () => {
    expect(() => parseImageTarget(json({ config: {} , layers: [] }), 'application/vnd.oci.image.manifest.v1+json', 'image x: manifest d')).toThrow('image x: manifest d: config is not a descriptor (mediaType, digest, size)');
    expect(() => parseImageTarget(json({ config: {} }), 'application/vnd.oci.image.manifest.v1+json', 'image x: manifest d')).toThrow('image x: manifest d has no layers');
  });
});
