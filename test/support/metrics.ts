/**
 * Reads `ctr task metrics --format json`, whichever cgroup Metrics type the
 * shim chose for the host (v1 on a cgroup v1 host, v2 on a unified one).
 */
import type { CtrClient } from './containerd.js';

export interface SeenMetrics {
  cpuNs: number;
  memoryUsage: number;
  memoryLimit: number;
  pids: number;
  oom: number;
}

export async function taskMetrics(containerd: CtrClient, id: string): Promise<SeenMetrics> {
  const json = JSON.parse(await containerd.ctrOk(['task', 'metrics', '--format', 'json', id])) as {
    pids?: { current?: number };
    cpu?: { usage?: { total?: number }; usage_usec?: number };
    memory?: { usage?: number | { usage?: number; limit?: number }; usage_limit?: number };
    memory_events?: { oom?: number };
    memory_oom_control?: { oom_kill?: number };
  };
  const usage = json.memory?.usage;
  const v2 = json.cpu?.usage_usec !== undefined || typeof usage === 'number';
  return {
    cpuNs: v2 ? (json.cpu?.usage_usec ?? 0) * 1_000 : (json.cpu?.usage?.total ?? 0),
    memoryUsage: typeof usage === 'number' ? usage : (usage?.usage ?? 0),
    memoryLimit: typeof usage === 'number' ? (json.memory?.usage_limit ?? 0) : (usage?.limit ?? 0),
    pids: json.pids?.current ?? 0,
    oom: v2 ? (json.memory_events?.oom ?? 0) : (json.memory_oom_control?.oom_kill ?? 0),
  };
}
