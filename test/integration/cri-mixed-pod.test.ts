/**
 * A wasmts pod with Linux containers in it, on containerd 1.6, 1.7 and 2.x, as
 * kubelet drives it: an init container (busybox) runs to completion first,
 * then the wasm HTTP server, then a busybox sidecar that reaches the server at
 * localhost:8080 through the pod's network namespace (a bridge network, from
 * Debian's CNI plugins). The Linux containers are
 * handed to containerd's runc shim; the pod then tears down with no shim of
 * either kind left.
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeImage } from '../../tools/image/image-builder.js';
import type { PrivateContainerd } from '../support/containerd.js';
import type { CriClient } from '../support/cri-client.js';
import { CriRig } from '../support/cri-rig.js';
import { TEST_IMAGES } from '../support/images.js';
import { shimsOf, unsharedShimsOf } from '../support/rig-cleanup.js';
import { runCommand } from '../support/run-command.js';
import { containerdTargets } from '../support/runtimes.js';
import { until } from '../support/until.js';

const BUSYBOX_IMAGE = 'docker.io/wasmts/busybox:latest';
const POD_NETWORK = { network: 'POD', pid: 'CONTAINER', ipc: 'POD' };
const BUSYBOX = '/bin/busybox';

let work: string;
let busyboxTar: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'wasmts-mixed-pod-'));
  busyboxTar = path.join(work, 'busybox.tar');
  await writeImage(busyboxTar, {
    reference: BUSYBOX_IMAGE,
    entrypoint: [BUSYBOX, 'sh'],
    platform: { os: 'linux', architecture: 'amd64' },
    files: [{ path: BUSYBOX, data: await readFile(BUSYBOX), mode: 0o755 }],
  });
});

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

/** runc shims serving this containerd (their command line names its address). */
async function runcShimsOf(containerd: PrivateContainerd): Promise<string[]> {
  const result = await runCommand('pgrep', ['-af', `containerd-shim-runc-v2 .*-address ${containerd.address}`]);
  return result.stdout.split('\n').filter((line) => line.trim() !== '');
}

describe.each(containerdTargets().map((target, n) => ({ ...target, n: 110 + n })))('a wasm pod with Linux containers on $label', (target) => {
  let rig: CriRig;
  let containerd: PrivateContainerd;
  let cri: CriClient;
  let logs: string;

  beforeAll(async () => {
    rig = await CriRig.start(target, { network: target.n, images: [TEST_IMAGES.httpServer.name, busyboxTar] });
    ({ containerd, cri, dir: logs } = rig);
  }, 120_000);

  afterAll(async () => {
    const report = await rig?.stop();
    expect(report?.leftovers ?? []).toEqual([]);
    expect(report?.killedShims ?? []).toEqual([]);
  });

  it('runs an init container first, then the wasm server, and a busybox sidecar that reaches it at localhost:8080; the pod tears down cleanly', async () => {
    const uid = `uid-mixed-${process.pid}-${Date.now()}`;
    const pod = {
      metadata: { name: 'mixed-pod', uid, namespace: 'default', attempt: 0 },
      hostname: 'mixed-pod',
      log_directory: logs,
      linux: { security_context: { namespace_options: POD_NETWORK } },
    };
    const { pod_sandbox_id: podId } = await cri.runtimeCall<{ pod_sandbox_id: string }>('RunPodSandbox', { config: pod, runtime_handler: 'wasmts' });
    const create = async (name: string, image: string, command: string[]) => {
      const { container_id: id } = await cri.runtimeCall<{ container_id: string }>('CreateContainer', {
        pod_sandbox_id: podId,
        config: { metadata: { name, attempt: 0 }, image: { image }, command, log_path: `${name}.log`, linux: { security_context: { namespace_options: POD_NETWORK } } },
        sandbox_config: pod,
      });
      await cri.runtimeCall('StartContainer', { container_id: id });
      return id;
    };
    type Status = { state: string; exit_code: number; reason: string };
    const status = async (id: string) => (await cri.runtimeCall<{ status: Status }>('ContainerStatus', { container_id: id })).status;
    const exited = (id: string, what: string) => until(`${what} to exit`, async () => ((await status(id)).state === 'CONTAINER_EXITED' ? status(id) : undefined), 30_000);
    const log = async (name: string) =>
      (await readFile(path.join(logs, `${name}.log`), 'utf8'))
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => line.split(' ').slice(3).join(' '))
        .join('\n');
    try {
      // kubelet runs init containers to completion, in order, before the others.
      const init = await create('init', BUSYBOX_IMAGE, [BUSYBOX, 'sh', '-c', 'echo init ran in $(/bin/busybox hostname)']);
      expect(await exited(init, 'the init container')).toMatchObject({ exit_code: 0, reason: 'Completed' });
      expect(await log('init')).toMatch(/^init ran in /);

      const server = await create('server', TEST_IMAGES.httpServer.reference, ['/http-server.wasm', '8080', '127.0.0.1']);
      const sidecar = await create('sidecar', BUSYBOX_IMAGE, [
        BUSYBOX,
        'sh',
        '-c',
        `for i in $(${BUSYBOX} seq 100); do ${BUSYBOX} wget -q -O - http://localhost:8080/ && exit 0; ${BUSYBOX} sleep 0.2; done; exit 1`,
      ]);
      expect(await exited(sidecar, 'the sidecar')).toMatchObject({ exit_code: 0, reason: 'Completed' });
      expect(await log('sidecar')).toContain('Hello, World!');
      expect((await status(server)).state).toBe('CONTAINER_RUNNING');

      // The daemon handed the Linux containers to the runc shim, and ran the wasm server itself.
      const handedOver = (await readFile(containerd.info.logPath, 'utf8'))
        .split('\n')
        .filter((line) => line.includes('task created by the runc shim'))
        .map((line) => (/"task":"([0-9a-f]+)"/.exec(line) ?? [])[1]);
      expect(handedOver.sort()).toEqual([init, sidecar].sort());
      const { containers } = await cri.runtimeCall<{ containers: { id: string; metadata: { name: string } }[] }>('ListContainers', { filter: { pod_sandbox_id: podId } });
      expect(containers.map((c) => c.metadata.name).sort()).toEqual(['init', 'server', 'sidecar']);
    } finally {
      await cri.runtimeCall('StopPodSandbox', { pod_sandbox_id: podId });
      await cri.runtimeCall('RemovePodSandbox', { pod_sandbox_id: podId });
    }
    const { items } = await cri.runtimeCall<{ items: unknown[] }>('ListPodSandbox', {});
    expect(items).toEqual([]);
    await until('every shim of the pod to exit', async () => ((await unsharedShimsOf(containerd.info)).length === 0 && (await runcShimsOf(containerd)).length === 0 ? true : undefined), 15_000);
  });
  // containerd 2.x, when a daemon serving several tasks dies, does not run the shim's delete for
  // each of them, and the runc shim of a Linux container outlives the pod's daemon: not yet handled.
  it.runIf(!target.label.startsWith('containerd 2'))("ends a pod's Linux containers and their runc shim when the pod's daemon dies (containerd 1.x)", async () => {
    const uid = `uid-mixed-crash-${process.pid}-${Date.now()}`;
    const pod = {
      metadata: { name: 'crash-pod', uid, namespace: 'default', attempt: 0 },
      log_directory: logs,
      linux: { security_context: { namespace_options: POD_NETWORK } },
    };
    const { pod_sandbox_id: podId } = await cri.runtimeCall<{ pod_sandbox_id: string }>('RunPodSandbox', { config: pod, runtime_handler: 'wasmts' });
    const { info } = await cri.runtimeCall<{ info: Record<string, string> }>('PodSandboxStatus', { pod_sandbox_id: podId, verbose: true });
    const daemonPid = (JSON.parse(info.info ?? '{}') as { pid: number }).pid;
    // A duration of this run's own, to find this sidecar's process among the host's.
    const seconds = String(100_000 + Math.floor(Math.random() * 800_000));
    try {
      const { container_id: sidecar } = await cri.runtimeCall<{ container_id: string }>('CreateContainer', {
        pod_sandbox_id: podId,
        config: { metadata: { name: 'sleeper', attempt: 0 }, image: { image: BUSYBOX_IMAGE }, command: [BUSYBOX, 'sleep', seconds], log_path: 'sleeper.log', linux: { security_context: { namespace_options: POD_NETWORK } } },
        sandbox_config: pod,
      });
      await cri.runtimeCall('StartContainer', { container_id: sidecar });
      expect(await runcShimsOf(containerd)).toHaveLength(1);
      process.kill(daemonPid, 'SIGKILL');
      // containerd reports the exit of every task the daemon served, and cleans each one up through the shim's delete.
      await until('the sidecar to be reported ended', async () => {
        const { status } = await cri.runtimeCall<{ status: { state: string } }>('ContainerStatus', { container_id: sidecar });
        return status.state === 'CONTAINER_EXITED' ? true : undefined;
      }, 30_000);
      await until('the runc shim and the sidecar to be gone', async () => {
        const sleeping = (await runCommand('pgrep', ['-f', `${BUSYBOX} sleep ${seconds}$`])).stdout.trim();
        return (await runcShimsOf(containerd)).length === 0 && sleeping === '' ? true : undefined;
      }, 30_000);
    } finally {
      await cri.runtimeCall('StopPodSandbox', { pod_sandbox_id: podId });
      await cri.runtimeCall('RemovePodSandbox', { pod_sandbox_id: podId });
    }
  });
});
