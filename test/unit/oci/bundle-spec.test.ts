import { describe, expect, it } from 'vitest';
import { bundleSpecFrom } from '../../../src/oci/bundle-spec.js';
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
