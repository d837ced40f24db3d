import { describe, expect, it } from 'vitest';
import { containerd, io } from '../../../src/generated/index.js';
import { ascii, hex, toHex } from './hex.js';

describe('containerd.types.RuntimeInfo', () => {
  it('encodes name, version and annotations with the upstream field numbers', () => {
    const bytes = containerd.types.RuntimeInfo.encode({
      name: 'w',
      version: { version: '1', revision: 'r' },
      annotations: { k: 'v' },
    }).finish();

    expect(toHex(bytes)).toBe(
      toHex(hex(`0a 01 ${ascii('w')} 12 06 0a 01 ${ascii('1')} 12 01 ${ascii('r')} 2a 06 0a 01 6b 12 01 76`)),
    );
  });
});

describe('cgroup metrics', () => {
  it('keeps cgroup v1 memory usage at field 33 and pids at field 2', () => {
    const bytes = io.containerd.cgroups.v1.Metrics.encode({
      pids: { current: 3 },
      memory: { usage: { usage: 4096 } },
    }).finish();

    expect(toHex(bytes)).toBe(toHex(hex('12 02 08 03 22 06 8a02 03 10 8020')));
  });

  it('round-trips cgroup v2 metrics with uint64 values as numbers', () => {
    const v2 = io.containerd.cgroups.v2;
    const metrics = {
      pids: { current: 5, limit: 100 },
      cpu: { usageUsec: 123456789, userUsec: 1, systemUsec: 2 },
      memory: { usage: 2 ** 40, usageLimit: 9223372036854771712, anon: 7 },
    };

    const decoded = v2.Metrics.decode(v2.Metrics.encode(metrics).finish());

    expect(decoded.pids?.limit).toBe(100);
    expect(decoded.cpu?.usageUsec).toBe(123456789);
    expect(decoded.memory?.usage).toBe(2 ** 40);
    expect(decoded.memory?.usageLimit).toBe(9223372036854771712);
    expect(typeof decoded.memory?.anon).toBe('number');
  });
});
