import { describe, expect, it } from 'vitest';
import { io } from '../../../src/generated/index.js';
import { encodeMetrics } from '../../../src/shim/rpc/task-metrics.js';
import type { TaskStats } from '../../../src/task/task-controls.js';

const stats: TaskStats = {
  linearMemoryBytes: 2 * 65_536,
  engineHeapBytes: 1_000_000,
  cpuUserNs: 3_000_000,
  cpuSystemNs: 1_000_000,
  cpuTotalNs: 4_500_000,
  memoryLimitBytes: 64 * 1024 * 1024,
  processes: 2,
  limitHits: 3,
  oomKills: 1,
};

describe('task metrics', () => {
  it('encodes cgroup v2 Metrics with memory, CPU in microseconds, pids and OOM events', () => {
    const any = encodeMetrics(stats, 'v2');
    expect(any.typeUrl).toBe('io.containerd.cgroups.v2.Metrics');
    const m = io.containerd.cgroups.v2.Metrics.decode(any.value);
    expect(Number(m.memory?.usage)).toBe(131_072 + 1_000_000);
    expect(Number(m.memory?.usageLimit)).toBe(64 * 1024 * 1024);
    expect(Number(m.memory?.anon)).toBe(131_072);
    expect(Number(m.cpu?.usageUsec)).toBe(4_500);
    expect(Number(m.cpu?.userUsec)).toBe(3_000);
    expect(Number(m.pids?.current)).toBe(2);
    expect(Number(m.memoryEvents?.oomKill)).toBe(1);
  });

  it('encodes cgroup v1 Metrics with memory usage and limit and CPU in nanoseconds', () => {
    const any = encodeMetrics(stats, 'v1');
    expect(any.typeUrl).toBe('io.containerd.cgroups.v1.Metrics');
    const m = io.containerd.cgroups.v1.Metrics.decode(any.value);
    expect(Number(m.memory?.usage?.usage)).toBe(1_131_072);
    expect(Number(m.memory?.usage?.limit)).toBe(64 * 1024 * 1024);
    expect(Number(m.cpu?.usage?.total)).toBe(4_500_000);
    expect(Number(m.cpu?.usage?.kernel)).toBe(1_000_000);
    expect(Number(m.memoryOomControl?.oomKill)).toBe(1);
  });
});
