import { describe, expect, it } from 'vitest';
import { spareSocketPath } from '../../../src/shim/daemon/handoff.js';

describe('the spare control socket', () => {
  it('differs per containerd address and per network kind, so each containerd claims only its own spares', () => {
    const docker = spareSocketPath('host', '/run/docker/containerd/containerd.sock');
    const kubelet = spareSocketPath('host', '/run/containerd/containerd.sock');
    expect(docker).not.toBe(kubelet);
    expect(spareSocketPath('new', '/run/containerd/containerd.sock')).not.toBe(kubelet);
    expect(spareSocketPath('host', '/run/containerd/containerd.sock')).toBe(kubelet);
    // A unix socket path must stay under the kernel's 108 bytes.
    expect(Buffer.byteLength(kubelet)).toBeLessThan(108);
  });
});
