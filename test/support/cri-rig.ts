/**
 * A private containerd of one version with CRI on, as the CRI tests across
 * versions use it: a bridge network of its own (Debian's CNI plugins), the
 * sandbox image and the test's images imported, a CRI client, and one stop()
 * that tears all of it down and says what had to be cleaned up by force.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeBridgeCni, type BridgeNetwork } from './bridge-cni.js';
import { PrivateContainerd, type StopReport } from './containerd.js';
import { CriClient } from './cri-client.js';
import { IMAGES_DIR } from './fixtures.js';
import { TEST_IMAGES } from './images.js';
import type { ContainerdTarget } from './runtimes.js';

/** Any image does for a wasmts pod's sandbox: wasmts never runs its program (here a Linux ELF, like pause). */
export const SANDBOX_IMAGE = TEST_IMAGES.linuxBinary;

export interface CriRigOptions {
  /** The bridge network's number (0–255), unique among the rigs that run at once. */
  network: number;
  /** Test image names (build/images/<name>.tar) or paths of other image tars, imported into k8s.io. */
  images: readonly string[];
  /** Let wasmts keep warm spare daemons, as on a node (by default none, so that "no shim remains" means no process at all). */
  spares?: boolean;
}

export class CriRig {
  readonly containerd: PrivateContainerd;
  readonly cri: CriClient;
  readonly network: BridgeNetwork;
  /** A directory of the rig's own (pod logs may go here); removed by stop(). */
  readonly dir: string;

  private constructor(containerd: PrivateContainerd, cri: CriClient, network: BridgeNetwork, dir: string) {
    this.containerd = containerd;
    this.cri = cri;
    this.network = network;
    this.dir = dir;
  }

  static async start(target: ContainerdTarget, options: CriRigOptions): Promise<CriRig> {
    if (target.binary === '') throw new Error(`${target.label} is not installed: run scripts/runtimes/setup`);
    const dir = await mkdtemp(path.join(tmpdir(), 'wasmts-cri-rig-'));
    const network = await writeBridgeCni(path.join(dir, 'cni'), options.network);
    const containerd = await PrivateContainerd.start({
      binary: target.binary,
      namespace: 'k8s.io',
      cri: { sandboxImage: SANDBOX_IMAGE.reference, cni: { binDir: network.binDir, confDir: network.confDir } },
      env: options.spares === true ? {} : { WASMTS_SPARE: '0' },
    });
    for (const image of [SANDBOX_IMAGE.name, ...options.images]) {
      await containerd.importImage(image.endsWith('.tar') ? image : path.join(IMAGES_DIR, `${image}.tar`));
    }
    return new CriRig(containerd, new CriClient(containerd.address), network, dir);
  }

  async stop(): Promise<StopReport> {
    this.cri.close();
    const report = await this.containerd.stop();
    await this.network.remove();
    await rm(this.dir, { recursive: true, force: true });
    return report;
  }
}
