/**
 * Pod density: memory of N running one-container pods through containerd 1.6's
 * CRI, as kubelet runs them (a pod cgroup each, a pod network from a stand-in
 * CNI plugin): the runtime handler wasmts (a ticking wasm guest) against runc
 * (busybox sleep, a static pause as the sandbox), in the same run.
 * Memory is that of every process the pods cost: for wasmts its daemons (a
 * pod's daemon each, plus the namespace's shared one that answers `start`), for
 * runc the shims, the pause processes and the containers' processes; RSS summed
 * (shared pages, such as node's program text, once per process) and PSS (a
 * shared page divided among its sharers: what they cost the node).
 *
 *   scripts/bench-pod-density [--pods N] [--settle SECONDS]
 *
 * Memory is read SECONDS (35) after the last pod started: past the 30 s after
 * which a daemon lets its waiting guest workers go, the steady state of a node.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { writeImage } from '../../tools/image/image-builder.ts';
import { PrivateContainerd } from '../../test/support/containerd.ts';
import { CriClient } from '../../test/support/cri-client.ts';
import { writeFakeCni } from '../../test/support/fake-cni.ts';
import { ensureFixtures, fixturePath } from '../../test/support/fixtures.ts';
import { makePodCgroup, podCgroups, removePodCgroup } from '../../test/support/pod-cgroup.ts';
import { memoryLine, type ProcessMemory, rssOf, sum } from './process-memory.ts';

const { values } = parseArgs({ options: { pods: { type: 'string', default: '10' }, settle: { type: 'string', default: '35' } } });
const count = Math.max(2, Number(values.pods));
const settleSeconds = Number(values.settle);

const PAUSE = 'docker.io/wasmts/bench-pause:latest';
const WASM = 'docker.io/wasmts/bench-ticker:latest';
const LINUX = 'docker.io/wasmts/bench-sleep:latest';
const POD_NETWORK = { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } as const;

async function main(): Promise<void> {
  await ensureFixtures();
  const work = await mkdtemp(path.join(tmpdir(), 'wasmts-bench-pod-density-'));
  const cgroups = await podCgroups();
  const linux = { os: 'linux', architecture: 'amd64' };
  await writeImage(path.join(work, 'pause.tar'), { reference: PAUSE, entrypoint: ['/pause'], platform: linux, files: [{ path: '/pause', data: await readFile(fixturePath('pause')), mode: 0o755 }] });
  await writeImage(path.join(work, 'ticker.tar'), { reference: WASM, entrypoint: ['/ticker.wasm'], files: [{ path: '/ticker.wasm', data: await readFile(fixturePath('ticker.wasm')), mode: 0o755 }] });
  await writeImage(path.join(work, 'sleep.tar'), {
    reference: LINUX,
    entrypoint: ['/bin/busybox', 'sleep', '3600'],
    platform: linux,
    files: [{ path: '/bin/busybox', data: await readFile('/bin/busybox'), mode: 0o755 }],
  });
  const containerd = await PrivateContainerd.start({
    namespace: 'k8s.io',
    env: { WASMTS_SPARE: '0' },
    cri: { sandboxImage: PAUSE, cni: await writeFakeCni(path.join(work, 'cni')), runcHandler: true },
  });
  const cri = new CriClient(containerd.address);
  const made: string[] = [];
  const rows: { name: string; memory: ProcessMemory }[] = [];
  try {
    for (const tar of ['pause.tar', 'ticker.tar', 'sleep.tar']) await containerd.importImage(path.join(work, tar));
    const cases = [
      { name: 'wasmts, a pod each', handler: 'wasmts', image: WASM },
      { name: 'runc, a pod each', handler: 'runc', image: LINUX },
    ];
    for (const c of cases) {
      const pods: string[] = [];
      for (let i = 0; i < count; i++) {
        const uid = `density-${process.pid}-${c.handler}-${i}`;
        const parent = path.posix.join(cgroups.base, `wasmts-bench-${process.pid}`, `pod${uid}`);
        made.push(...(await makePodCgroup(cgroups, parent)));
        const pod = {
          metadata: { name: uid, uid, namespace: 'default', attempt: 0 },
          log_directory: path.join(work, 'logs', uid),
          linux: { cgroup_parent: parent, security_context: { namespace_options: POD_NETWORK } },
        };
        const { pod_sandbox_id: podId } = await cri.runtimeCall<{ pod_sandbox_id: string }>('RunPodSandbox', { config: pod, runtime_handler: c.handler });
        pods.push(podId);
        const { container_id: id } = await cri.runtimeCall<{ container_id: string }>('CreateContainer', {
          pod_sandbox_id: podId,
          config: { metadata: { name: 'app', attempt: 0 }, image: { image: c.image }, log_path: 'app.log', linux: { security_context: { namespace_options: POD_NETWORK } } },
          sandbox_config: pod,
        });
        await cri.runtimeCall('StartContainer', { container_id: id });
      }
      await sleep(settleSeconds * 1000); // settled: guests asleep, heaps grown, start-up spares gone
      const memory =
        c.handler === 'runc'
          ? sum(await rssOf('containerd-shim-runc-v2', containerd.address), await rssOf('/pause'), await rssOf('busybox', 'sleep', '3600'))
          : await rssOf('dist/main.js', containerd.address);
      rows.push({ name: c.name, memory });
      for (const podId of pods) {
        await cri.runtimeCall('StopPodSandbox', { pod_sandbox_id: podId });
        await cri.runtimeCall('RemovePodSandbox', { pod_sandbox_id: podId });
      }
    }
  } finally {
    cri.close();
    await containerd.stop();
    await removePodCgroup(made);
    await rm(work, { recursive: true, force: true });
  }
  const runc = rows[rows.length - 1]!.memory;
  console.log(`memory of ${count} running one-container pods through CRI (containerd 1.6, pod network, a pod cgroup each), ${settleSeconds} s after the last started:`);
  for (const { name, memory } of rows) console.log(memoryLine(name, memory, runc, count, 'pod'));
}

await main();
