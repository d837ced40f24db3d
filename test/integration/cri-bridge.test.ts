/**
 * Pods on a real network, as kubelet runs them: containerd's CRI (1.6, 1.7 and
 * 2.x) with Debian's bridge and host-local CNI plugins. A wasm HTTP server
 * answers on its pod IP from the node and through port-forward; an exec probe
 * (ExecSync, as kubelet's exec liveness probe) passes and fails by exit code;
 * `kubectl exec -it` and `kubectl attach` work through CRI's streaming server;
 * a container that ended is restarted in its pod as kubelet does (a new
 * attempt), each attempt with its own log.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BridgeNetwork } from '../support/bridge-cni.js';
import { CriRig } from '../support/cri-rig.js';
import type { PrivateContainerd } from '../support/containerd.js';
import type { CriClient } from '../support/cri-client.js';
import { TEST_IMAGES } from '../support/images.js';
import { shimsOf, unsharedShimsOf } from '../support/rig-cleanup.js';
import { containerdTargets } from '../support/runtimes.js';
import { until } from '../support/until.js';
import { httpGet, waitForHttp } from '../support/net.js';
import { openStream } from '../support/cri-streaming.js';

const POD_NETWORK = { network: 'POD', pid: 'CONTAINER', ipc: 'POD' };

describe.each(containerdTargets().map((target, n) => ({ ...target, n: 100 + n })))('pods on a bridge network on $label', (target) => {
  let rig: CriRig;
  let containerd: PrivateContainerd;
  let cri: CriClient;
  let work: string;
  let network: BridgeNetwork;

  beforeAll(async () => {
    rig = await CriRig.start(target, { network: target.n, images: [TEST_IMAGES.httpServer.name, TEST_IMAGES.toolbox.name, TEST_IMAGES.hello.name] });
    ({ containerd, cri, network, dir: work } = rig);
  }, 120_000);

  afterAll(async () => {
    const report = await rig?.stop();
    expect(report?.leftovers ?? []).toEqual([]);
    expect(report?.killedShims ?? []).toEqual([]);
  });

  it('serves HTTP from a wasm pod on its pod IP and through port-forward, answers exec probes, exec -it and attach, restarts a container that ended, and gives its address back', async () => {
    const uid = `uid-bridge-${process.pid}-${Date.now()}`;
    const logs = path.join(work, 'logs');
    const pod = {
      metadata: { name: 'bridge-pod', uid, namespace: 'default', attempt: 0 },
      hostname: 'bridge-pod',
      log_directory: logs,
      linux: { security_context: { namespace_options: POD_NETWORK } },
    };
    const { pod_sandbox_id: podId } = await cri.runtimeCall<{ pod_sandbox_id: string }>('RunPodSandbox', { config: pod, runtime_handler: 'wasmts' });
    const create = async (name: string, image: string, command: string[], attempt = 0) => {
      const { container_id: id } = await cri.runtimeCall<{ container_id: string }>('CreateContainer', {
        pod_sandbox_id: podId,
        config: { metadata: { name, attempt }, image: { image }, command, log_path: `${name}/${attempt}.log`, linux: { security_context: { namespace_options: POD_NETWORK } } },
        sandbox_config: pod,
      });
      await cri.runtimeCall('StartContainer', { container_id: id });
      return id;
    };
    type Status = { state: string; exit_code: number; reason: string };
    const status = async (id: string) => (await cri.runtimeCall<{ status: Status }>('ContainerStatus', { container_id: id })).status;
    const exited = (id: string) => until(`container ${id} to exit`, async () => ((await status(id)).state === 'CONTAINER_EXITED' ? status(id) : undefined), 30_000);
    try {
      const { status: sandbox } = await cri.runtimeCall<{ status: { network: { ip: string } } }>('PodSandboxStatus', { pod_sandbox_id: podId });
      const ip = sandbox.network.ip;
      expect(ip.startsWith(network.prefix)).toBe(true);

      // The server listens on every address of the pod's namespace; the node reaches it over the bridge.
      await create('server', TEST_IMAGES.httpServer.reference, ['/http-server.wasm', '8080', '0.0.0.0']);
      const { body } = await waitForHttp(8080, ip, 15_000);
      expect(body).toContain('Hello, World!');

      // kubelet's exec liveness probe: ExecSync with a timeout; the exit code decides.
      const toolbox = await create('toolbox', TEST_IMAGES.toolbox.reference, ['/ticker.wasm']);
      const healthy = await cri.runtimeCall<{ stdout: Buffer; exit_code: number }>('ExecSync', { container_id: toolbox, cmd: ['/hello.wasm'], timeout: 10 });
      expect(healthy.exit_code).toBe(0);
      expect(Buffer.from(healthy.stdout).toString('utf8')).toBe('hello from wasm\n');
      const failing = await cri.runtimeCall<{ exit_code: number }>('ExecSync', { container_id: toolbox, cmd: ['/exit-code.wasm', '3'], timeout: 10 });
      expect(failing.exit_code).toBe(3);

      // kubectl exec -it: a terminal (the guest sees character devices), typed input echoed, ^D ends it.
      const { url: execUrl } = await cri.runtimeCall<{ url: string }>('Exec', { container_id: toolbox, cmd: ['/tty-probe.wasm'], tty: true, stdin: true, stdout: true });
      const exec = await openStream(execUrl, ['v4.channel.k8s.io']);
      await exec.until(1, (text) => text.includes('isatty 0=1 1=1 2=1\r\n'));
      exec.send(0, 'over the wire\r');
      await exec.until(1, (text) => text.includes('got: over the wire\r\n'));
      exec.send(0, '\u0004');
      await exec.closed;
      expect(exec.received(1).toString('utf8')).toBe('isatty 0=1 1=1 2=1\r\nover the wire\r\ngot: over the wire\r\neof\r\n');
      expect(JSON.parse(exec.received(3).toString('utf8'))).toMatchObject({ status: 'Success' });

      // kubectl attach: to a running container's stdin and stdout.
      const { container_id: catId } = await cri.runtimeCall<{ container_id: string }>('CreateContainer', {
        pod_sandbox_id: podId,
        config: { metadata: { name: 'cat', attempt: 0 }, image: { image: TEST_IMAGES.toolbox.reference }, command: ['/cat.wasm'], stdin: true, log_path: 'cat/0.log', linux: { security_context: { namespace_options: POD_NETWORK } } },
        sandbox_config: pod,
      });
      await cri.runtimeCall('StartContainer', { container_id: catId });
      const { url: attachUrl } = await cri.runtimeCall<{ url: string }>('Attach', { container_id: catId, stdin: true, stdout: true, stderr: true });
      const attach = await openStream(attachUrl, ['v4.channel.k8s.io']);
      attach.send(0, 'through attach\n');
      expect(await attach.until(1, (text) => text.includes('through attach\n'))).toBe('through attach\n');
      attach.close();

      // kubectl port-forward: containerd dials the port inside the pod's network namespace.
      const { url: forwardUrl } = await cri.runtimeCall<{ url: string }>('PortForward', { pod_sandbox_id: podId, port: [8080] });
      const forward = await openStream(`${forwardUrl}?port=8080`, ['v4.channel.k8s.io', 'portforward.k8s.io']);
      // Each channel's first message is its port (8080 = 0x1f90, little-endian).
      await forward.until(0, (text) => text.length >= 2);
      expect([...forward.received(0).subarray(0, 2)]).toEqual([0x90, 0x1f]);
      forward.send(0, 'GET / HTTP/1.0\r\nHost: pod\r\n\r\n');
      expect(await forward.until(0, (text) => text.includes('Hello, World!'))).toMatch(/HTTP\/1\.[01] 200/);
      forward.close();

      // A container that ended is started again as kubelet does: a new container, the next attempt, its own log.
      const first = await create('once', TEST_IMAGES.hello.reference, []);
      expect(await exited(first)).toMatchObject({ exit_code: 0, reason: 'Completed' });
      const second = await create('once', TEST_IMAGES.hello.reference, [], 1);
      expect(await exited(second)).toMatchObject({ exit_code: 0, reason: 'Completed' });
      await cri.runtimeCall('RemoveContainer', { container_id: first });
      for (const attempt of [0, 1]) expect(await readFile(path.join(logs, 'once', `${attempt}.log`), 'utf8')).toMatch(/ stdout F hello from wasm\n/);
      expect((await httpGet(8080, ip)).body).toContain('Hello, World!');
    } finally {
      await cri.runtimeCall('StopPodSandbox', { pod_sandbox_id: podId });
      await cri.runtimeCall('RemovePodSandbox', { pod_sandbox_id: podId });
    }
    await until("the pod's shim to exit", async () => ((await unsharedShimsOf(containerd.info)).length === 0 ? true : undefined), 10_000);
    // host-local gave the pod's address back.
    const leases = (await readdir(path.join(work, 'cni', 'ipam', `wasmts-bridge-${target.n}`))).filter((name) => name.startsWith(network.prefix));
    expect(leases).toEqual([]);
  });
});
