/**
 * Encodes a task's stats as the cgroup `Metrics` message runc-based shims
 * return from Stats (containerd/cgroups stats/v1 and cgroup2/stats), so that
 * containerd, `ctr task metrics` and CRI decode it: v2 on a cgroup v2 host,
 * v1 otherwise, as runc's shim does.
 */
import { statfsSync } from 'node:fs';
import { io } from '../../generated/index.js';
import type { TaskStats } from '../../task/task-controls.js';

export const CGROUP_V1_METRICS_TYPE = 'io.containerd.cgroups.v1.Metrics';
export const CGROUP_V2_METRICS_TYPE = 'io.containerd.cgroups.v2.Metrics';
/** statfs(2) f_type of a cgroup2 filesystem (linux/magic.h CGROUP2_SUPER_MAGIC). */
const CGROUP2_SUPER_MAGIC = 0x63677270;

export type CgroupMode = 'v1' | 'v2';

export function hostCgroupMode(): CgroupMode {
  try {
    return statfsSync('/sys/fs/cgroup').type === CGROUP2_SUPER_MAGIC ? 'v2' : 'v1';
  } catch {
    return 'v1';
  }
}

export function encodeMetrics(stats: TaskStats, mode: CgroupMode): { typeUrl: string; value: Uint8Array } {
  const usage = stats.linearMemoryBytes + stats.engineHeapBytes;
  const limit = stats.memoryLimitBytes ?? 0;
  const usec = (ns: number) => Math.round(ns / 1_000);
  if (mode === 'v2') {
    const value = io.containerd.cgroups.v2.Metrics.encode({
      pids: { current: stats.processes, limit: 0 },
      cpu: { usageUsec: usec(stats.cpuTotalNs), userUsec: usec(stats.cpuUserNs), systemUsec: usec(stats.cpuSystemNs) },
      memory: { usage, usageLimit: limit, anon: stats.linearMemoryBytes, activeAnon: stats.linearMemoryBytes },
      memoryEvents: { max: stats.limitHits, oom: stats.oomKills, oomKill: stats.oomKills },
    }).finish();
    return { typeUrl: CGROUP_V2_METRICS_TYPE, value };
  }
  const value = io.containerd.cgroups.v1.Metrics.encode({
    pids: { current: stats.processes, limit: 0 },
    cpu: { usage: { total: Math.round(stats.cpuTotalNs), user: Math.round(stats.cpuUserNs), kernel: Math.round(stats.cpuSystemNs) } },
    memory: {
      rss: stats.linearMemoryBytes,
      totalRss: stats.linearMemoryBytes,
      usage: { usage, limit, failcnt: stats.limitHits },
    },
    memoryOomControl: { oomKill: stats.oomKills, underOom: 0 },
  }).finish();
  return { typeUrl: CGROUP_V1_METRICS_TYPE, value };
}
