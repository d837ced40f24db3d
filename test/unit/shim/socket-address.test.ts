import { describe, expect, it } from 'vitest';
import { groupId } from '../../../src/oci/bundle-spec.js';
import { socketFileOf, socketPath, socketUri } from '../../../src/shim/cli/socket-address.js';

describe('socket address', () => {
  it('groups by our annotation first, then the CRI sandbox id, then the container id', () => {
    expect(groupId('c1', { 'io.containerd.wasmts.v1.group': 'g', 'io.kubernetes.cri.sandbox-id': 'pod' })).toBe('g');
    expect(groupId('c1', { 'io.kubernetes.cri.sandbox-id': 'pod' })).toBe('pod');
    expect(groupId('c1', {})).toBe('c1');
  });

  it('derives a stable path under the socket directory that fits a unix socket address', () => {
    const a = socketPath('/run/containerd/containerd.sock', 'default', 'c1');
    expect(a).toBe(socketPath('/run/containerd/containerd.sock', 'default', 'c1'));
    expect(a).toMatch(/^\/run\/containerd\/s\/[0-9a-f]{64}$/);
    expect(Buffer.byteLength(a)).toBeLessThan(106);
  });

  it('gives different namespaces, groups and containerds different sockets', () => {
    const base = socketPath('/a.sock', 'ns', 'g');
    expect(socketPath('/b.sock', 'ns', 'g')).not.toBe(base);
    expect(socketPath('/a.sock', 'ns2', 'g')).not.toBe(base);
    expect(socketPath('/a.sock', 'ns', 'g2')).not.toBe(base);
  });

  it('honours a socket directory given by containerd', () => {
    expect(socketPath('/a.sock', 'ns', 'g', '/tmp/s')).toMatch(/^\/tmp\/s\/[0-9a-f]{64}$/);
  });

  it('prints unix:// addresses and accepts both forms back', () => {
    expect(socketUri('/run/x')).toBe('unix:///run/x');
    expect(socketFileOf('unix:///run/x')).toBe('/run/x');
    expect(socketFileOf('/run/x')).toBe('/run/x');
  });
});
