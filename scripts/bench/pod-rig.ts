/**
 * What the pod benchmarks share: a private containerd 1.6 whose CRI runs pods
 * as kubelet would (a static pause as the sandbox image, a stand-in CNI plugin
 * (containerd still creates and pins the namespace), the runc handler beside
 * wasmts), a wasm and a Linux image, and one-container pods, each with a pod
 * cgroup of its own.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeImage } from '../../tools/image/image-builder.ts';
import { PrivateContainerd } from '../../test/support/containerd.ts';
import { CriClient } from '../../test/support/cri-client.ts';
import { writeFakeCni } from '../../test/support/fake-cni.ts';
import { ensureFixtures, type FixtureName, fixturePath } from '../../test/support/fixtures.ts';
import { makePodCgroup, type PodCgroups, podCgroups, removePodCgroup } from '../../test/support/pod-cgroup.ts';

const PAUSE = 'docker.io/wasmts/bench-pause:latest';
const LINUX_PLATFORM = { os: 'linux', architecture: 'amd64' };

export const HOST_NETWORK = { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } as const;
export const POD_NETWORK = { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } as const;
export type NamespaceOptions = typeof HOST_NETWORK | typeof POD_NETWORK;

export interface PodRigImages {
  /** A fixture module (test/fixtures), run as the image's entrypoint. */
  wasm: { reference: string; fixture: FixtureName };
  /** busybox with these arguments. */
  linux: { reference: string; args: string[] };
}

export interface StartedPod {
  podId: string;
  /** Milliseconds in RunPodSandbox, CreateContainer and StartContainer. */
  phases: [number, number, number];
}

export class PodRig {
  readonly containerd: PrivateContainerd;
  readonly cri: CriClient;
  private readonly work: string;
  private readonly cgroups: PodCgroups;
  private readonly made: string[] = [];
  private pods = 0;

  private constructor(containerd: PrivateContainerd, work: string, cgroups: PodCgroups) {
    this.containerd = containerd;
    this.cri = new CriClient(containerd.address);
    this.work = work;
    this.cgroups = cgroups;
  }

  static async start(images: PodRigImages, env: Record<string, string> = {}): Promise<PodRig> {
    await ensureFixtures();
    const work = await mkdtemp(path.join(tmpdir(), 'wasmts-bench-pods-'));
    const { wasm, linux } = images;
    const tars = [path.join(work, 'pause.tar'), path.join(work, 'wasm.tar'), path.join(work, 'linux.tar')] as const;
    await writeImage(tars[0], { reference: PAUSE, entrypoint: ['/pause'], platform: LINUX_PLATFORM, files: [{ path: '/pause', data: await readFile(fixturePath('pause')), mode: 0o755 }] });
    await writeImage(tars[1], { reference: wasm.reference, entrypoint: [`/${wasm.fixture}`], files: [{ path: `/${wasm.fixture}`, data: await readFile(fixturePath(wasm.fixture)), mode: 0o755 }] });
    await writeImage(tars[2], {
      reference: linux.reference,
      entrypoint: ['/bin/busybox', ...linux.args],
      platform: LINUX_PLATFORM,
      files: [{ path: '/bin/busybox', data: await readFile('/bin/busybox'), mode: 0o755 }],
    });
    const containerd = await PrivateContainerd.start({
      namespace: 'k8s.io',
      env,
      cri: { sandboxImage: PAUSE, cni: await writeFakeCni(path.join(work, 'cni')), runcHandler: true },
    });
    const rig = new PodRig(containerd, work, await podCgroups());
    try {
      for (const tar of tars) await containerd.importImage(tar);
    } catch (error) {
      await rig.close();
      throw error;
    }
    return rig;
  }

  /** RunPodSandbox, CreateContainer and StartContainer of a one-container pod, timed. */
  async startPod(handler: string, image: string, namespaceOptions: NamespaceOptions): Promise<StartedPod> {
    const uid = `bench-${process.pid}-${this.pods++}`;
    const parent = path.posix.join(this.cgroups.base, `wasmts-bench-${process.pid}`, `pod${uid}`);
    this.made.push(...(await makePodCgroup(this.cgroups, parent)));
    const pod = {
      metadata: { name: uid, uid, namespace: 'default', attempt: 0 },
      log_directory: path.join(this.work, 'logs', uid),
      linux: { cgroup_parent: parent, security_context: { namespace_options: namespaceOptions } },
    };
    const started = performance.now();
    const { pod_sandbox_id: podId } = await this.cri.runtimeCall<{ pod_sandbox_id: string }>('RunPodSandbox', { config: pod, runtime_handler: handler });
    const sandboxReady = performance.now();
    const { container_id: id } = await this.cri.runtimeCall<{ container_id: string }>('CreateContainer', {
      pod_sandbox_id: podId,
      config: { metadata: { name: 'app', attempt: 0 }, image: { image }, log_path: 'app.log', linux: { security_context: { namespace_options: namespaceOptions } } },
      sandbox_config: pod,
    });
    const created = performance.now();
    await this.cri.runtimeCall('StartContainer', { container_id: id });
    return { podId, phases: [sandboxReady - started, created - sandboxReady, performance.now() - created] };
  }

  async removePod(podId: string): Promise<void> {
    await this.cri.runtimeCall('StopPodSandbox', { pod_sandbox_id: podId });
    await this.cri.runtimeCall('RemovePodSandbox', { pod_sandbox_id: podId });
  }

  async close(): Promise<void> {
    this.cri.close();
    await this.containerd.stop();
    await removePodCgroup(this.made);
    await rm(this.work, { recursive: true, force: true });
  }
}
