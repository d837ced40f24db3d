import { describe, expect, it } from 'vitest';
import { cgroupDirectory } from '../../../src/oci/cgroups-path.js';

describe('cgroupDirectory', () => {
  it('takes a cgroupfs path as it is, from the hierarchy root', () => {
    expect(cgroupDirectory('/kubepods/besteffort/pod123/abc')).toBe('/kubepods/besteffort/pod123/abc');
    expect(cgroupDirectory('default/ctr1')).toBe('/default/ctr1');
    expect(cgroupDirectory('/a//b/./c/')).toBe('/a/b/c');
  });

  it('refuses a path that climbs with ..', () => {
    expect(() => cgroupDirectory('/kubepods/../../etc')).toThrow('linux.cgroupsPath "/kubepods/../../etc" may not contain ..');
  });

  it('turns systemd slice:prefix:name into the scope inside its nested slices', () => {
    expect(cgroupDirectory('kubepods-besteffort-pod12.slice:cri-containerd:abc')).toBe(
      '/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod12.slice/cri-containerd-abc.scope',
    );
    expect(cgroupDirectory(':cri-containerd:abc')).toBe('/system.slice/cri-containerd-abc.scope');
    expect(cgroupDirectory('-.slice:docker:abc')).toBe('/docker-abc.scope');
    expect(cgroupDirectory('machine.slice::vm.slice')).toBe('/machine.slice/vm.slice');
  });

  it('refuses a slice name systemd would not accept', () => {
    expect(() => cgroupDirectory('kube--pods.slice:p:n')).toThrow('is not a valid slice name');
    expect(() => cgroupDirectory('kubepods:p:n')).toThrow('is not a slice name');
  });
});
