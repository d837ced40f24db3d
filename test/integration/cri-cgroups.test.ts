/**
 * A pod's cgroup, as kubelet uses it, on containerd 1.6, 1.7 and 2.x (pods on a
 * bridge network, from Debian's CNI plugins): the test
 * makes the pod cgroup (kubelet's part) and gives it as the sandbox's cgroup
 * parent; the pod's daemon must then live below it, so that the kernel applies
 * the pod's limits to it and PodSandboxStats / ListPodSandboxStats report what
 * the pod's wasm containers use. The pod cgroup sits inside this process's own
 * cgroups, so nothing escapes the cgroups the tests run in.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrivateContainerd } from '../support/containerd.js';
import type { CriClient } from '../support/cri-client.js';
import { TEST_IMAGES } from '../support/images.js';
import { shimsOf, unsharedShimsOf } from '../support/rig-cleanup.js';
import { containerdTargets } from '../support/runtimes.js';
import { until } from '../support/until.js';
import { CriRig } from '../support/cri-rig.js';
import { makePodCgroup, podCgroups, removePodCgroup } from '../support/pod-cgroup.js';

const POD_NETWORK = { network: 'POD', pid: 'CONTAINER', ipc: 'POD' };
const MIB = 1024 * 1024;

const { hierarchies, memory, base } = await podCgroups();

describe.each(containerdTargets().map((target, n) => ({ ...target, n: 120 + n })))('a pod cgroup on $label', (target) => {
  let rig: CriRig;
  let containerd: PrivateContainerd;
  let cri: CriClient;
  let logs: string;

  beforeAll(async () => {
    rig = await CriRig.start(target, { network: target.n, images: [TEST_IMAGES.ticker.name] });
    ({ containerd, cri, dir: logs } = rig);
  }, 120_000);

  afterAll(async () => {
    const report = await rig?.stop();
    expect(report?.leftovers ?? []).toEqual([]);
    expect(report?.killedShims ?? []).toEqual([]);
  });

  it("puts the pod's daemon in the pod cgroup, reports the pod's use through PodSandboxStats, and removes the sandbox cgroup with the pod", async () => {
    const uid = `uid-cgroup-${process.pid}-${Date.now()}`;
    const parent = path.posix.join(base, `wasmts-test-${process.pid}`, `pod${uid}`);
    const made = await makePodCgroup({ hierarchies, memory, base }, parent);
    try {
      const memoryDir = memory === undefined ? undefined : path.join(memory.mountPoint, parent);
      // kubelet's pod limit: the kernel applies it to everything below, the daemon included.
      if (memory?.version === 1) await writeFile(path.join(memoryDir!, 'memory.limit_in_bytes'), String(512 * MIB));
      const pod = {
        metadata: { name: 'cgroup-pod', uid, namespace: 'default', attempt: 0 },
        log_directory: logs,
        linux: { cgroup_parent: parent, security_context: { namespace_options: POD_NETWORK } },
      };
      const { pod_sandbox_id: podId } = await cri.runtimeCall<{ pod_sandbox_id: string }>('RunPodSandbox', { config: pod, runtime_handler: 'wasmts' });
      const { info } = await cri.runtimeCall<{ info: Record<string, string> }>('PodSandboxStatus', { pod_sandbox_id: podId, verbose: true });
      const daemonPid = (JSON.parse(info.info ?? '{}') as { pid: number }).pid;
      expect(daemonPid).toBeGreaterThan(0);
      try {
        // Every hierarchy with controllers lists the daemon in the sandbox's cgroup, below the pod's.
        for (const hierarchy of hierarchies.filter((h) => h.version === 2 || h.controllers.some((c) => !c.startsWith('name=')))) {
          const procs = await readFile(path.join(hierarchy.mountPoint, parent, podId, 'cgroup.procs'), 'utf8');
          expect(procs.split('\n'), `${hierarchy.mountPoint}${parent}/${podId}`).toContain(String(daemonPid));
        }
        const { container_id: containerId } = await cri.runtimeCall<{ container_id: string }>('CreateContainer', {
          pod_sandbox_id: podId,
          config: { metadata: { name: 'ticker', attempt: 0 }, image: { image: TEST_IMAGES.ticker.reference }, log_path: 'ticker.log', linux: {} },
          sandbox_config: pod,
        });
        await cri.runtimeCall('StartContainer', { container_id: containerId });
        // The ticker prints once a second: wait for its second line, so it has used some CPU.
        await until('the ticker to tick twice', async () => ((await readFile(path.join(logs, 'ticker.log'), 'utf8').catch(() => '')).split('\n').length > 2 ? true : undefined));

        type Usage = { cpu?: { usage_core_nano_seconds?: { value: string } }; memory?: { working_set_bytes?: { value: string } } };
        type PodStats = { linux: Usage & { containers: Usage[] } };
        const { stats } = await cri.runtimeCall<{ stats: PodStats }>('PodSandboxStats', { pod_sandbox_id: podId });
        const podCpu = Number(stats.linux.cpu?.usage_core_nano_seconds?.value ?? 0);
        const podMemory = Number(stats.linux.memory?.working_set_bytes?.value ?? 0);
        expect(podCpu).toBeGreaterThan(0);
        // The pod's memory is the daemon's: Node.js itself and every guest it runs.
        expect(podMemory).toBeGreaterThan(10 * MIB);
        expect(podMemory).toBeLessThan(512 * MIB);
        expect(stats.linux.containers).toHaveLength(1);
        const [container] = stats.linux.containers;
        const containerMemory = Number(container?.memory?.working_set_bytes?.value ?? 0);
        const containerCpu = Number(container?.cpu?.usage_core_nano_seconds?.value ?? 0);
        expect(containerMemory).toBeGreaterThan(0);
        // The pod's figures hold its containers' and the daemon's own share besides.
        expect(podMemory).toBeGreaterThanOrEqual(containerMemory);
        expect(podCpu).toBeGreaterThanOrEqual(containerCpu);

        const { stats: listed } = await cri.runtimeCall<{ stats: { attributes: { id: string } }[] }>('ListPodSandboxStats', { filter: {} });
        expect(listed.map((s) => s.attributes.id)).toContain(podId);
      } finally {
        await cri.runtimeCall('StopPodSandbox', { pod_sandbox_id: podId });
        await cri.runtimeCall('RemovePodSandbox', { pod_sandbox_id: podId });
      }
      await until("the pod's shim to exit", async () => ((await unsharedShimsOf(containerd.info)).length === 0 ? true : undefined), 10_000);
      // The sandbox's cgroup went with the pod: kubelet can remove the pod cgroup.
      for (const hierarchy of hierarchies) expect(existsSync(path.join(hierarchy.mountPoint, parent, podId))).toBe(false);
    } finally {
      await removePodCgroup(made);
    }
    for (const directory of made) expect(existsSync(directory), directory).toBe(false);
  });
});
