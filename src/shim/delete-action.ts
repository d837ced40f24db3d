import { readFileSync } from 'node:fs';
import path from 'node:path';
import { containerd } from '../generated/index.js';
import { unmountAll } from '../oci/rootfs-mounts.js';
import { TtrpcClient } from '../ttrpc/index.js';
import type { ShimFlags } from './flags.js';
import { socketFileOf } from './socket-address.js';
import { toTimestamp } from './wire-convert.js';

/** What containerd reports for a task cleaned up this way: killed (128+SIGKILL), as runc's shim does. */
const CLEANUP_EXIT_STATUS = 137;
const CLEANUP_CALL_TIMEOUT_MS = 1_500;

/** If a daemon still holds the task (containerd lost it), ask it to end and forget it. */
async function endInDaemon(bundle: string, id: string): Promise<number> {
  let address: string;
  try {
    address = readFileSync(path.join(bundle, 'address'), 'utf8').trim();
  } catch {
    return 0;
  }
  let client: TtrpcClient | undefined;
  try {
    client = await TtrpcClient.connect(socketFileOf(address));
    const v2 = containerd.task.v2;
    const service = 'containerd.task.v2.Task';
    const options = { timeoutMs: CLEANUP_CALL_TIMEOUT_MS };
    await client
      .call(service, 'Kill', v2.KillRequest.encode({ id, signal: 9, all: true }).finish(), options)
      .catch(() => undefined);
    const deleted = await client.call(service, 'Delete', v2.DeleteRequest.encode({ id }).finish(), options);
    return v2.DeleteResponse.decode(deleted).pid;
  } catch {
    return 0;
  } finally {
    client?.close();
  }
}

/**
 * `delete`: containerd's cleanup of one container, after every teardown and
 * after a crash. Idempotent; prints a DeleteResponse on stdout.
 */
export async function deleteAction(flags: ShimFlags): Promise<Uint8Array> {
  const bundle = flags.bundle !== '' ? flags.bundle : process.cwd();
  const pid = flags.id !== '' ? await endInDaemon(bundle, flags.id) : 0;
  await unmountAll(path.join(bundle, 'rootfs')).catch((error: unknown) => {
    process.stderr.write(`wasmts delete: ${String(error)}\n`);
  });
  return containerd.task.v2.DeleteResponse.encode({
    pid,
    exitStatus: CLEANUP_EXIT_STATUS,
    exitedAt: toTimestamp(new Date()),
  }).finish();
}
