import { describe, expect, it } from 'vitest';
import {
  BEGIN_MARK, appendRegistration, configVersion, dropInFile, importDirectory, parseConfig, registeredRuntimeType,
  removeRegistration, versionForContainerd,
} from '../../../src/install/containerd-config.js';
import { addDockerRuntime, removeDockerRuntime } from '../../../src/install/docker-config.js';

const V2 = `version = 2
root = "/var/lib/containerd"

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "registry.k8s.io/pause:3.6"
    [plugins."io.containerd.grpc.v1.cri".containerd]
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes]
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
          runtime_type = "io.containerd.runc.v2"
`;

const V3 = `version = 3
imports = ['/etc/containerd/conf.d/*.toml']

[plugins]
  [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
    runtime_type = 'io.containerd.runc.v2'
`;

describe("containerd's config", () => {
  it('gets the handler in the CRI runtimes table of its own version, and parses to it', () => {
    for (const [text, version] of [[V2, 2], [V3, 3], ['[plugins.cri.containerd]\n  snapshotter = "overlayfs"\n', 1]] as const) {
      const parsed = parseConfig(text, 'config.toml');
      expect(configVersion(parsed, 'config.toml')).toBe(version);
      const after = appendRegistration(text, version, 'wasmts');
      expect(after.startsWith(text)).toBe(true);
      const reparsed = parseConfig(after, 'config.toml');
      expect(registeredRuntimeType(reparsed, version, 'wasmts')).toBe('io.containerd.wasmts.v1');
      expect(registeredRuntimeType(reparsed, version, 'runc') ?? 'io.containerd.runc.v2').toBe('io.containerd.runc.v2');
      expect(removeRegistration(after)).toBe(text);
    }
  });

  it('keeps comments and formatting: only a marked block is added', () => {
    const text = '# my settings\nversion = 2\n\n[grpc]\n  address = "/run/x.sock"   # kept\n';
    const after = appendRegistration(text, 2, 'wasm');
    expect(after).toBe(
      `${text}\n${BEGIN_MARK}\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasm]\n  runtime_type = "io.containerd.wasmts.v1"\n# END wasmts runtime handler\n`,
    );
  });

  it('finds the drop-in directory the config imports, relative ones next to the config', () => {
    expect(importDirectory(parseConfig(V3, 'c'), '/etc/containerd/config.toml')).toBe('/etc/containerd/conf.d');
    expect(importDirectory(parseConfig('imports = ["extra/*.toml"]', 'c'), '/etc/containerd/config.toml')).toBe('/etc/containerd/extra');
    expect(importDirectory(parseConfig('imports = ["/etc/one.toml"]', 'c'), '/etc/containerd/config.toml')).toBeUndefined();
    expect(importDirectory(parseConfig(V2, 'c'), '/etc/containerd/config.toml')).toBeUndefined();
    const dropIn = parseConfig(dropInFile(3, 'wasmts'), 'wasmts.toml');
    expect(dropIn.version).toBe(3);
    expect(registeredRuntimeType(dropIn, 3, 'wasmts')).toBe('io.containerd.wasmts.v1');
  });

  it('names the file and the problem when it cannot be parsed or has an unknown version', () => {
    expect(() => parseConfig('version = 2\n[plugins\n', '/etc/containerd/config.toml')).toThrow(/^cannot parse containerd's config \/etc\/containerd\/config.toml: /);
    expect(() => configVersion({ version: 4 }, '/c.toml')).toThrow("containerd's config /c.toml has version = 4; this installer knows versions 1, 2 and 3");
  });

  it('picks version 2 for containerd 1.x and 3 for 2.x when it has to create the config', () => {
    expect(versionForContainerd('containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3')).toBe(2);
    expect(versionForContainerd('containerd github.com/containerd/containerd/v2 v2.1.9 abc')).toBe(3);
    expect(() => versionForContainerd('nonsense')).toThrow('cannot tell containerd');
  });
});

describe("Docker's daemon.json", () => {
  it('gets a runtime alias next to what it had, once, and loses only that alias again', () => {
    const text = '{\n  "features": { "containerd-snapshotter": true },\n  "runtimes": { "crun": { "path": "/usr/bin/crun" } }\n}\n';
    const added = addDockerRuntime(text, 'daemon.json', 'wasmts');
    expect(added.changed).toBe(true);
    expect(JSON.parse(added.text).runtimes).toEqual({ crun: { path: '/usr/bin/crun' }, wasmts: { runtimeType: 'io.containerd.wasmts.v1' } });
    expect(addDockerRuntime(added.text, 'daemon.json', 'wasmts')).toEqual({ text: added.text, changed: false });
    expect(JSON.parse(removeDockerRuntime(added.text, 'daemon.json', 'wasmts'))).toEqual(JSON.parse(text));
    expect(JSON.parse(removeDockerRuntime(addDockerRuntime('', 'daemon.json', 'wasmts').text, 'daemon.json', 'wasmts'))).toEqual({});
  });

  it('refuses an alias that names another runtime, and a file that is not JSON', () => {
    expect(() => addDockerRuntime('{"runtimes":{"wasmts":{"path":"/x"}}}', '/etc/docker/daemon.json', 'wasmts')).toThrow(
      /^Docker's \/etc\/docker\/daemon.json already has a runtime "wasmts"/,
    );
    expect(() => addDockerRuntime('{', '/etc/docker/daemon.json', 'wasmts')).toThrow(/^cannot parse Docker's \/etc\/docker\/daemon.json/);
  });
});
