/**
 * A stand-in CNI network for CRI tests: plugins that configure nothing and
 * report an address, so that containerd's CRI creates and pins a pod network
 * namespace and goes on as if the network were up. Nothing on the host
 * changes (no bridge, no iptables, no IP forwarding); the namespace keeps
 * only its loopback device, which `loopback` brings up as the real plugin does.
 */

import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The address the fake network reports for every pod (TEST-NET-1, RFC 5737). */
export const FAKE_POD_IP = '192.0.2.2';

// CNI runs plugins with a minimal PATH.
const NSENTER = ['/usr/bin/nsenter', '/bin/nsenter'].find((p) => existsSync(p)) ?? 'nsenter';
const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((p) => existsSync(p)) ?? 'ip';

// CNI SPEC.md, "Success": ADD answers a result; DEL and CHECK answer nothing; VERSION its versions.
const PLUGIN = `#!/bin/sh
cat > /dev/null
case "$CNI_COMMAND" in
  ADD)
    if [ "$(basename "$0")" = loopback ]; then
      ${NSENTER} --net="$CNI_NETNS" ${IP} link set lo up || exit 1
      printf '{"cniVersion":"0.3.1","interfaces":[{"name":"lo","sandbox":"%s"}],"ips":[{"version":"4","address":"127.0.0.1/8","interface":0}]}' "$CNI_NETNS"
    else
      printf '{"cniVersion":"0.3.1","interfaces":[{"name":"eth0","sandbox":"%s"}],"ips":[{"version":"4","address":"${FAKE_POD_IP}/24","interface":0}]}' "$CNI_NETNS"
    fi ;;
  VERSION) printf '{"cniVersion":"0.3.1","supportedVersions":["0.3.0","0.3.1"]}' ;;
esac
`;

/** Writes the plugins (`fake`, and `loopback`, which CRI always adds) and a conflist under `dir`. */
export async function writeFakeCni(dir: string): Promise<{ binDir: string; confDir: string }> {
  const binDir = path.join(dir, 'bin');
  const confDir = path.join(dir, 'net.d');
  await Promise.all([mkdir(binDir, { recursive: true }), mkdir(confDir, { recursive: true })]);
  for (const name of ['fake', 'loopback']) {
    await writeFile(path.join(binDir, name), PLUGIN);
    await chmod(path.join(binDir, name), 0o755);
  }
  const conflist = { cniVersion: '0.3.1', name: 'wasmts-fake', plugins: [{ type: 'fake' }] };
  await writeFile(path.join(confDir, '10-wasmts-fake.conflist'), JSON.stringify(conflist));
  return { binDir, confDir };
}
