import { describe, expect, it } from 'vitest';
import { networkNamespaceFrom } from '../../../src/oci/bundle-spec.js';
import { daemonLaunch, requireNetworkNamespace } from '../../../src/shim/daemon/network-namespace.js';

describe('the network namespace a spec asks for', () => {
  it('is the host when the spec lists no network namespace (ctr run --net-host)', () => {
    expect(networkNamespaceFrom({ linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }] } })).toEqual({ kind: 'host' });
    expect(networkNamespaceFrom({})).toEqual({ kind: 'host' });
  });

  it('is a new one for a network namespace without a path (plain ctr run)', () => {
    expect(networkNamespaceFrom({ linux: { namespaces: [{ type: 'network' }] } })).toEqual({ kind: 'new' });
    expect(networkNamespaceFrom({ linux: { namespaces: [{ type: 'network', path: '' }] } })).toEqual({ kind: 'new' });
  });

  it('is the named one for a path (a pod sandbox)', () => {
    expect(networkNamespaceFrom({ linux: { namespaces: [{ type: 'network', path: '/var/run/netns/cni-1' }] } })).toEqual({
      kind: 'path',
      path: '/var/run/netns/cni-1',
    });
  });

  it('refuses a path that does not exist, naming it', () => {
    const spec = { linux: { namespaces: [{ type: 'network', path: '/nonexistent/ns' }] } };
    expect(() => requireNetworkNamespace(networkNamespaceFrom(spec))).toThrow(/\/nonexistent\/ns/);
  });
});

describe('how the daemon is launched', () => {
  it('runs node directly in the host namespace, spares allowed', () => {
    expect(daemonLaunch({ kind: 'host' }, '/node', ['main.js', 'serve'], { A: '1' })).toEqual({ command: '/node', args: ['main.js', 'serve'], env: { A: '1' } });
  });

  it('enters a named namespace with nsenter and starts no spare from there', () => {
    const launch = daemonLaunch({ kind: 'path', path: '/var/run/netns/x' }, '/node', ['main.js'], {});
    expect(launch.command).toMatch(/nsenter$/);
    expect(launch.args).toEqual(['--net=/var/run/netns/x', '--', '/node', 'main.js']);
    expect(launch.env.WASMTS_SPARE).toBe('0');
  });

  it('unshares a new namespace, brings its loopback up before exec-ing node, and keeps spares of that kind', () => {
    const launch = daemonLaunch({ kind: 'new' }, '/node', ['main.js', 'serve'], {});
    expect(launch.command).toMatch(/unshare$/);
    expect(launch.args.slice(0, 4)).toEqual(['--net', '--', '/bin/sh', '-c']);
    expect(launch.args[4]).toMatch(/ip link set lo up; exec "\$0" "\$@"$/);
    expect(launch.args.slice(5)).toEqual(['/node', 'main.js', 'serve']);
    expect(launch.env.WASMTS_SPARE_NETWORK).toBe('new');
    expect(launch.env.WASMTS_SPARE).toBeUndefined();
  });
});
