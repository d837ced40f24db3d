/**
 * A pod whose daemon is a warm spare, as on a node where wasmts keeps spares
 * (containerd 1.6, 1.7 and 2.x; a bridge network from Debian's CNI plugins; a
 * pod cgroup as kubelet makes it): the spare, booted in the host's network and
 * outside any pod, is moved into the pod's network namespace and cgroup when
 * the sandbox starts, so the pod's wasm HTTP server answers on the pod's IP, its
 * guests resolve names through the pod's DNS config and connect out of the pod,
 * and the kernel counts what the pod's guests use to the pod. The next spare is
 * booted for the next pod, and every daemon and spare is gone once the pods and
 * containerd are.
 */
import net from 'node:net';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrivateContainerd } from '../support/containerd.js';
import type { CriClient } from '../support/cri-client.js';
import { CriRig } from '../support/cri-rig.js';
import { openStream } from '../support/cri-streaming.js';
import { FakeDns } from '../support/fake-dns.js';
import { TEST_IMAGES } from '../support/images.js';
import { makePodCgroup, podCgroups, removePodCgroup } from '../support/pod-cgroup.js';
import { isAlive } from '../support/processes.js';
import { unsharedShimsOf } from '../support/rig-cleanup.js';
import { containerdTargets } from '../support/runtimes.js';
import { spares } from '../support/spares.js';
import { until } from '../support/until.js';
import { waitForHttp } from '../support/net.js';

const POD_NETWORK = { network: 'POD', pid: 'CONTAINER', ipc: 'POD' };
const cgroups = await podCgroups();

interface SandboxInfo {
  pid: number;
  runtimeSpec: { linux: { namespaces: { type: string; path?: string }[] } };
}

describe.each(containerdTargets().map((target, n) => ({ ...target, n: 130 + n })))('a pod served by a warm spare daemon on $label', (target) => {
  let rig: CriRig;
  let containerd: PrivateContainerd;
  let cri: CriClient;
  let logs: string;
  let stopped = false;

  beforeAll(async () => {
    rig = await CriRig.start(target, { network: target.n, images: [TEST_IMAGES.httpServer.name, TEST_IMAGES.tcpClient.name], spares: true });
    ({ containerd, cri, dir: logs } = rig);
  }, 120_000);

  afterAll(async () => {
    if (stopped) return;
    const report = await rig?.stop();
    expect(report?.leftovers ?? []).toEqual([]);
  });

  /** The host spare of this containerd, once it listens for a claim: never more than one. */
  async function waitingSpare(): Promise<number> {
    return until('a host spare to wait for a claim', async () => {
      const mine = (await spares()).filter((s) => s.containerd === containerd.address && s.network === 'host' && s.waiting);
      expect(mine.length).toBeLessThanOrEqual(1);
      return mine[0]?.pid;
    }, 20_000);
  }

  it("moves the spare into the pod's network namespace and cgroup, serves the pod from it (its server, port-forward, its DNS, its clients), keeps one spare for the next pod, and leaves no daemon behind", async () => {
    const parent = path.posix.join(cgroups.base, `wasmts-test-${process.pid}`, `podwarm${target.n}`);
    const made = await makePodCgroup(cgroups, parent);
    const podIds: string[] = [];
    const echo = net.createServer((socket) => socket.pipe(socket));
    let dns: FakeDns | undefined;
    const runPod = async (name: string, extra: Record<string, unknown> = {}) => {
      const pod = {
        metadata: { name, uid: `uid-${name}-${process.pid}`, namespace: 'default', attempt: 0 },
        log_directory: logs,
        linux: { cgroup_parent: parent, security_context: { namespace_options: POD_NETWORK } },
        ...extra,
      };
      const { pod_sandbox_id: podId } = await cri.runtimeCall<{ pod_sandbox_id: string }>('RunPodSandbox', { config: pod, runtime_handler: 'wasmts' });
      podIds.push(podId);
      const { info } = await cri.runtimeCall<{ info: Record<string, string> }>('PodSandboxStatus', { pod_sandbox_id: podId, verbose: true });
      const { status } = await cri.runtimeCall<{ status: { network: { ip: string } } }>('PodSandboxStatus', { pod_sandbox_id: podId });
      const { container_id: server } = await cri.runtimeCall<{ container_id: string }>('CreateContainer', {
        pod_sandbox_id: podId,
        config: { metadata: { name: 'server', attempt: 0 }, image: { image: TEST_IMAGES.httpServer.reference }, command: ['/http-server.wasm', '8080', '0.0.0.0'], log_path: `${name}.log`, linux: {} },
        sandbox_config: pod,
      });
      await cri.runtimeCall('StartContainer', { container_id: server });
      return { podId, pod, ip: status.network.ip, info: JSON.parse(info.info ?? '{}') as SandboxInfo };
    };
    const removePod = async (podId: string) => {
      await cri.runtimeCall('StopPodSandbox', { pod_sandbox_id: podId });
      await cri.runtimeCall('RemovePodSandbox', { pod_sandbox_id: podId });
      podIds.splice(podIds.indexOf(podId), 1);
    };
    try {
      // The node's first pod finds no spare (its daemon boots in the pod); one is booted for the next pod.
      const first = await runPod('warm-first');
      const spare = await waitingSpare();
      expect(spare).not.toBe(first.info.pid);

      // The node, as the pod sees it across the bridge (its gateway, there since the first pod): a DNS server and an echo server.
      const gateway = `${rig.network.prefix}1`;
      dns = await FakeDns.start(gateway, { 'backend.wasm.test': [gateway] });
      await new Promise<void>((resolve) => echo.listen(0, gateway, () => resolve()));
      const echoPort = (echo.address() as net.AddressInfo).port;

      const second = await runPod('warm-second', { dns_config: { servers: [gateway], searches: ['wasm.test'], options: ['ndots:2'] } });
      // The sandbox's process is the spare that waited, now the pod's daemon.
      expect(second.info.pid).toBe(spare);
      const podNetns = second.info.runtimeSpec.linux.namespaces.find((ns) => ns.type === 'network')?.path;
      expect(podNetns).toBeDefined();
      // A namespace is its nsfs inode: CRI's pinned file (a bind mount) and /proc/<pid>/ns/net name the same one.
      expect(statSync(`/proc/${spare}/ns/net`).ino).toBe(statSync(podNetns!).ino);
      expect(statSync(`/proc/${spare}/ns/net`).ino).not.toBe(statSync('/proc/self/ns/net').ino);
      for (const hierarchy of cgroups.hierarchies.filter((h) => h.version === 2 || h.controllers.some((c) => !c.startsWith('name=')))) {
        const procs = await readFile(path.join(hierarchy.mountPoint, parent, second.podId, 'cgroup.procs'), 'utf8');
        expect(procs.split('\n'), `${hierarchy.mountPoint}${parent}/${second.podId}`).toContain(String(spare));
      }
      // Its guest listens in the pod's namespace: the node reaches it on the pod's address, as the first pod's.
      for (const { ip } of [first, second]) {
        expect((await waitForHttp(8080, ip, 15_000)).body).toContain('Hello, World!');
      }
      // kubectl port-forward: containerd dials the port in the namespace of the sandbox's pid, the spare's.
      const { url: forwardUrl } = await cri.runtimeCall<{ url: string }>('PortForward', { pod_sandbox_id: second.podId, port: [8080] });
      const forward = await openStream(`${forwardUrl}?port=8080`, ['v4.channel.k8s.io', 'portforward.k8s.io']);
      await forward.until(0, (text) => text.length >= 2);
      forward.send(0, 'GET / HTTP/1.0\r\nHost: pod\r\n\r\n');
      expect(await forward.until(0, (text) => text.includes('Hello, World!'))).toMatch(/HTTP\/1\.[01] 200/);
      forward.close();

      // What its guest allocated after the claim counts to the pod (the daemon's boot stays charged where the spare was born).
      type Memory = { memory?: { working_set_bytes?: { value: string } } };
      const { stats } = await cri.runtimeCall<{ stats: { linux: Memory & { containers: Memory[] } } }>('PodSandboxStats', { pod_sandbox_id: second.podId });
      const podMemory = Number(stats.linux.memory?.working_set_bytes?.value ?? 0);
      const containerMemory = Number(stats.linux.containers[0]?.memory?.working_set_bytes?.value ?? 0);
      expect(containerMemory).toBeGreaterThan(0);
      expect(podMemory).toBeGreaterThanOrEqual(containerMemory);

      // Its guests resolve through the pod's DNS config, from inside the pod's namespace, and connect out of it.
      const { container_id: client } = await cri.runtimeCall<{ container_id: string }>('CreateContainer', {
        pod_sandbox_id: second.podId,
        config: { metadata: { name: 'client', attempt: 0 }, image: { image: TEST_IMAGES.tcpClient.reference }, command: ['/tcp-client.wasm', 'backend', String(echoPort), 'ping'], log_path: 'client.log', linux: {} },
        sandbox_config: second.pod,
      });
      await cri.runtimeCall('StartContainer', { container_id: client });
      const clientLog = await until('the client to get its reply', async () => {
        const log = await readFile(path.join(logs, 'client.log'), 'utf8').catch(() => '');
        return log.includes('reply: ping') ? log : undefined;
      }, 15_000);
      expect(clientLog).toContain(`connected to ${gateway} port ${echoPort}`);
      expect(dns.questions).toContain('backend.wasm.test A');

      // A spare again, once its delay passed: never more than one.
      const next = await waitingSpare();
      expect(next).not.toBe(spare);

      await removePod(second.podId);
      await removePod(first.podId);
      await until("the pods' daemons to exit", async () => (!isAlive(spare) && !isAlive(first.info.pid) ? true : undefined), 15_000);
      for (const hierarchy of cgroups.hierarchies) expect(existsSync(path.join(hierarchy.mountPoint, parent, second.podId))).toBe(false);
      expect(isAlive(next)).toBe(true);

      // containerd goes (the rig ends the namespace's shared daemon with it): the spare follows it.
      stopped = true;
      const report = await rig.stop();
      expect(report.leftovers).toEqual([]);
      await until("the containerd's spare to exit", async () => ((await spares()).some((s) => s.containerd === containerd.address) ? undefined : true), 40_000);
      expect((await unsharedShimsOf(containerd.info)).length).toBe(0);
    } finally {
      for (const podId of [...podIds]) await removePod(podId).catch(() => {});
      await removePodCgroup(made);
      echo.close();
      await dns?.close();
    }
  }, 150_000);
});
