/**
 * Pod start: median wall time from RunPodSandbox to a started container
 * (RunPodSandbox + CreateContainer + StartContainer), for a one-container pod,
 * with the runtime handler wasmts (hello.wasm) and runc (busybox echo; a static
 * pause as the sandbox), on the host's network and on a pod network (a
 * stand-in CNI plugin: containerd still creates and pins the namespace), on one
 * private containerd 1.6 in one run. Each pod has a pod cgroup, as kubelet
 * gives it. Prints both and the ratios.
 *
 *   scripts/bench-pod-start [--runs N]
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeImage } from '../../tools/image/image-builder.ts';
import { PrivateContainerd } from '../../test/support/containerd.ts';
import { CriClient } from '../../test/support/cri-client.ts';
import { writeFakeCni } from '../../test/support/fake-cni.ts';
import { ensureFixtures, fixturePath } from '../../test/support/fixtures.ts';
import { makePodCgroup, podCgroups, removePodCgroup } from '../../test/support/pod-cgroup.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '9' } } });
const runs = Math.max(5, Number(values.runs));

const PAUSE = 'docker.io/wasmts/bench-pause:latest';
const WASM = 'docker.io/wasmts/bench-hello:latest';
const LINUX = 'docker.io/wasmts/bench-busybox:latest';
const NETWORKS = { host: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' }, pod: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } as const;

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  await ensureFixtures();
  const work = await mkdtemp(path.join(tmpdir(), 'wasmts-bench-pods-'));
  const cgroups = await podCgroups();
  const linux = { os: 'linux', architecture: 'amd64' };
  await writeImage(path.join(work, 'pause.tar'), { reference: PAUSE, entrypoint: ['/pause'], platform: linux, files: [{ path: '/pause', data: await readFile(fixturePath('pause')), mode: 0o755 }] });
  await writeImage(path.join(work, 'hello.tar'), { reference: WASM, entrypoint: ['/hello.wasm'], files: [{ path: '/hello.wasm', data: await readFile(fixturePath('hello.wasm')), mode: 0o755 }] });
  await writeImage(path.join(work, 'busybox.tar'), {
    reference: LINUX,
    entrypoint: ['/bin/busybox', 'echo', 'hello from busybox'],
    platform: linux,
    files: [{ path: '/bin/busybox', data: await readFile('/bin/busybox'), mode: 0o755 }],
  });
  const containerd = await PrivateContainerd.start({
    namespace: 'k8s.io',
    cri: { sandboxImage: PAUSE, cni: await writeFakeCni(path.join(work, 'cni')), runcHandler: true },
  });
  const cri = new CriClient(containerd.address);
  const made: string[] = [];
  try {
    for (const tar of ['pause.tar', 'hello.tar', 'busybox.tar']) await containerd.importImage(path.join(work, tar));
    const cases = (['host', 'pod'] as const).flatMap((network) => [
      { name: `wasmts, ${network} network`, handler: 'wasmts', image: WASM, network },
      { name: `runc,   ${network} network`, handler: 'runc', image: LINUX, network },
    ]);
    const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
    /** Per case: the time in RunPodSandbox, CreateContainer and StartContainer. */
    const phases = new Map<string, number[][]>(cases.map((c) => [c.name, [[], [], []]]));
    let n = 0;
    // One warm-up round, then alternate so that machine noise hits every case alike.
    for (let round = -1; round < runs; round++) {
      for (const c of cases) {
        const uid = `bench-${process.pid}-${n++}`;
        const parent = path.posix.join(cgroups.base, `wasmts-bench-${process.pid}`, `pod${uid}`);
        made.push(...(await makePodCgroup(cgroups, parent)));
        const namespaceOptions = NETWORKS[c.network];
        const pod = {
          metadata: { name: uid, uid, namespace: 'default', attempt: 0 },
          log_directory: path.join(work, 'logs', uid),
          linux: { cgroup_parent: parent, security_context: { namespace_options: namespaceOptions } },
        };
        const started = performance.now();
        const { pod_sandbox_id: podId } = await cri.runtimeCall<{ pod_sandbox_id: string }>('RunPodSandbox', { config: pod, runtime_handler: c.handler });
        const sandboxReady = performance.now();
        const { container_id: id } = await cri.runtimeCall<{ container_id: string }>('CreateContainer', {
          pod_sandbox_id: podId,
          config: { metadata: { name: 'app', attempt: 0 }, image: { image: c.image }, log_path: 'app.log', linux: { security_context: { namespace_options: namespaceOptions } } },
          sandbox_config: pod,
        });
        const created = performance.now();
        await cri.runtimeCall('StartContainer', { container_id: id });
        const elapsed = performance.now() - started;
        if (round >= 0) {
          samples.get(c.name)!.push(elapsed);
          const [run, create, start] = phases.get(c.name)!;
          run!.push(sandboxReady - started);
          create!.push(created - sandboxReady);
          start!.push(started + elapsed - created);
        }
        await cri.runtimeCall('StopPodSandbox', { pod_sandbox_id: podId });
        await cri.runtimeCall('RemovePodSandbox', { pod_sandbox_id: podId });
      }
    }
    console.log(`RunPodSandbox + CreateContainer + StartContainer, median of ${runs} pods each (containerd 1.6 CRI, a pod cgroup each):`);
    for (const network of ['host', 'pod'] as const) {
      const wasmts = samples.get(`wasmts, ${network} network`)!;
      const runc = samples.get(`runc,   ${network} network`)!;
      for (const [name, s] of [[`wasmts, ${network} network`, wasmts], [`runc,   ${network} network`, runc]] as const) {
        const [run, create, start] = phases.get(name)!.map((p) => median(p).toFixed(0));
        console.log(`  ${name}: ${median(s).toFixed(1)} ms  (min ${Math.min(...s).toFixed(1)}, max ${Math.max(...s).toFixed(1)}; RunPodSandbox ${run}, CreateContainer ${create}, StartContainer ${start})`);
      }
      console.log(`  ratio wasmts/runc, ${network} network: ${(median(wasmts) / median(runc)).toFixed(2)}`);
    }
  } finally {
    cri.close();
    await containerd.stop();
    await removePodCgroup(made);
    await rm(work, { recursive: true, force: true });
  }
}

await main();
