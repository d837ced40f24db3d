import { describe, expect, it } from 'vitest';
import { containerd } from '../../../src/generated/index.js';
import { requestId, startAddress } from '../../../src/shim/rpc/shim-delegates.js';

describe('runc delegates', () => {
  it('reads the task id of any Task request (field 1)', () => {
    const v2 = containerd.task.v2;
    expect(requestId(v2.KillRequest.encode({ id: 'sidecar', execId: 'e1', signal: 9 }).finish())).toBe('sidecar');
    expect(requestId(v2.CreateTaskRequest.encode({ id: 'init', bundle: '/b', terminal: true }).finish())).toBe('init');
    expect(requestId(v2.WaitRequest.encode({ id: 'x' }).finish())).toBe('x');
  });

  it("takes the address a runc shim's start prints, plain or as containerd 2.x's JSON", () => {
    expect(startAddress('unix:///run/containerd/s/abc\n')).toBe('unix:///run/containerd/s/abc');
    expect(startAddress('{"version":3,"address":"unix:///run/containerd/s/def","protocol":"ttrpc"}')).toBe('unix:///run/containerd/s/def');
    expect(() => startAddress('')).toThrow('printed no address');
    expect(() => startAddress('{"version":3}')).toThrow('no address');
  });
});
