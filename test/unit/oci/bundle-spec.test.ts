import { describe, expect, it } from 'vitest';
import { bundleSpecFrom, CRI_CONTAINER_TYPE_ANNOTATION, GROUP_ANNOTATION, joinsNamespaceDaemon, type NetworkNamespace, SANDBOX_ID_ANNOTATION } from '../../../src/oci/bundle-spec.js';
import { mountArgs } from '../../../src/oci/rootfs-mounts.js';

describe('bundleSpecFrom', () => {
  it('takes args, env, cwd and a relative root from the OCI spec', () => {
    const spec = bundleSpecFrom(
      {
        root: { path: 'rootfs' },
        process: { args: ['/hello.wasm', 'a'], env: ['PATH=/bin', 'K=V'], cwd: '/work' },
        annotations: { a: 'b' },
      },
      '/bundles/c1',
      'config.json',
    );
    expect(spec).toEqual({
      rootPath: '/bundles/c1/rootfs',
      process: { args: ['/hello.wasm', 'a'], env: ['PATH=/bin', 'K=V'], cwd: '/work', terminal: false },
      annotations: { a: 'b' },
      networkNamespace: { kind: 'host' },
      rootReadOnly: false,
      mounts: [],
    });
  });

  it('keeps an absolute root path and reads the memory limit', () => {
    const spec = bundleSpecFrom(
      { root: { path: '/srv/root' }, process: { args: ['/x.wasm'] }, linux: { resources: { memory: { limit: 1048576 } } } },
      '/b',
      'config.json',
    );
    expect(spec.rootPath).toBe('/srv/root');
    expect(spec.memoryLimitBytes).toBe(1048576);
    expect(spec.process.cwd).toBe('/');
  });

  it('rejects a spec without a process', () => {
    expect(() => bundleSpecFrom({}, '/b', '/b/config.json')).toThrow('/b/config.json: the OCI spec has no process');
  });
});

describe('mountArgs', () => {
  it('passes an overlay mount with its options', () => {
    expect(
      mountArgs({ type: 'overlay', source: 'overlay', target: '', options: ['index=off', 'lowerdir=/l'] }, '/b/rootfs'),
    ).toEqual(['-t', 'overlay', '-o', 'index=off,lowerdir=/l', 'overlay', '/b/rootfs']);
  });

  it('turns a bind mount into mount -o rbind', () => {
    expect(mountArgs({ type: 'bind', source: '/snap', target: '', options: ['rbind', 'ro'] }, '/r')).toEqual([
      '-o', 'rbind,ro', '/snap', '/r',
    ]);
  });
});

describe('readStartSpec', () => {
  it("gives start the container's group and network from config.json, and the defaults for a spec it cannot read", async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const { readStartSpec } = await import('../../../src/oci/bundle-spec.js');
    const bundle = mkdtempSync(path.join(tmpdir(), 'start-spec-'));
    writeFileSync(
      path.join(bundle, 'config.json'),
      JSON.stringify({
        annotations: { 'io.kubernetes.cri.sandbox-id': 'pod-1', other: 3 },
        linux: { namespaces: [{ type: 'network', path: '/var/run/netns/cni-1' }] },
      }),
    );
    expect(readStartSpec(bundle, 'c1')).toEqual({
      group: 'pod-1',
      annotations: { 'io.kubernetes.cri.sandbox-id': 'pod-1' },
      networkNamespace: { kind: 'path', path: '/var/run/netns/cni-1' },
    });
    writeFileSync(path.join(bundle, 'config.json'), '{ not json');
    expect(readStartSpec(bundle, 'c1')).toEqual({ group: 'c1', annotations: {}, networkNamespace: { kind: 'host' } });
  });
});

describe('joinsNamespaceDaemon', () => {
  const spec = (annotations: Record<string, string>, networkNamespace: NetworkNamespace) => ({ annotations, networkNamespace });

  it("sends a container of no group or pod to its namespace's shared daemon, in the host's network or a fresh one", () => {
    expect(joinsNamespaceDaemon(spec({}, { kind: 'host' }))).toBe(true);
    expect(joinsNamespaceDaemon(spec({}, { kind: 'new' }))).toBe(true);
  });

  it('keeps a group (even one named like the container), a pod and a given network namespace apart', () => {
    expect(joinsNamespaceDaemon(spec({ [GROUP_ANNOTATION]: 'c1' }, { kind: 'host' }))).toBe(false);
    expect(joinsNamespaceDaemon(spec({ [SANDBOX_ID_ANNOTATION]: 'pod' }, { kind: 'host' }))).toBe(false);
    expect(joinsNamespaceDaemon(spec({ [CRI_CONTAINER_TYPE_ANNOTATION]: 'sandbox' }, { kind: 'host' }))).toBe(false);
    expect(joinsNamespaceDaemon(spec({}, { kind: 'path', path: '/var/run/netns/x' }))).toBe(false);
  });
});
