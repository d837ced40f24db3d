/**
 * A real pod network for CRI tests, from Debian's containernetworking-plugins:
 * a bridge of the test's own (`wasmtsbr<n>`) with a /24 of its own, addresses
 * from host-local kept under the test's directory, the host as the gateway on
 * the bridge, so the host reaches pods directly. No masquerade, no port maps,
 * no iptables rule: the only change to the host is the bridge, which remove()
 * deletes.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from './run-command.js';

export const CNI_PLUGIN_DIR = '/usr/lib/cni';

export interface BridgeNetwork {
  binDir: string;
  confDir: string;
  bridge: string;
  /** e.g. `10.231.3.` (pods get .2 and up; the bridge is .1). */
  prefix: string;
  /** Deletes the bridge (CNI leaves it when the last pod goes). */
  remove(): Promise<void>;
}

/** Writes the conflist for network number `n` (0–255, one per concurrent containerd) under `dir`. */
export async function writeBridgeCni(dir: string, n: number): Promise<BridgeNetwork> {
  const confDir = path.join(dir, 'net.d');
  await mkdir(confDir, { recursive: true });
  const bridge = `wasmtsbr${n}`;
  const prefix = `10.231.${n}.`;
  const conflist = {
    cniVersion: '0.4.0',
    name: `wasmts-bridge-${n}`,
    plugins: [
      {
        type: 'bridge',
        bridge,
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam: { type: 'host-local', ranges: [[{ subnet: `${prefix}0/24` }]], dataDir: path.join(dir, 'ipam') },
      },
    ],
  };
  await writeFile(path.join(confDir, '10-wasmts-bridge.conflist'), JSON.stringify(conflist));
  return {
    binDir: CNI_PLUGIN_DIR,
    confDir,
    bridge,
    prefix,
    remove: async () => {
      await runCommand('ip', ['link', 'delete', bridge], { timeoutMs: 10_000 });
    },
  };
}
