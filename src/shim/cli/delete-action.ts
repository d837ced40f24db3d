import { readFileSync, unlinkSync } from 'node:fs';
import { ExitStatus } from '../../exit-status.js';
import path from 'node:path';
import { unmountAll } from '../../oci/rootfs-mounts.js';
import type { ShimFlags } from './flags.js';
import { isServing } from '../daemon/group-socket.js';
import { socketFileOf } from './socket-address.js';

/** What containerd reports for a task cleaned up this way: killed (128+SIGKILL), as runc's shim does. */
const CLEANUP_EXIT_STATUS = ExitStatus.UNKNOWN_AFTER_CRASH;
const CLEANUP_CALL_TIMEOUT_MS = 1_500;

/**
 * If the group's daemon is still alive and holds the task (containerd lost
 * track of it), asks it to end and forget the task; if the daemon is gone,
 * removes its socket file. Resolves to the task's pid when known.
 */
async function endInDaemon(bundle: string, id: string): Promise<number> {
  let socketFile: string;
  try {
    socketFile = socketFileOf(readFileSync(path.join(bundle, 'address'), 'utf8').trim());
  } catch {
    return 0;
  }
  if (!(await isServing(socketFile, 500))) {
    try {
      unlinkSync(socketFile); // its daemon died: leave no socket behind
    } catch {
      // already gone
    }
    return 0;
  }
  // Only this rare path pays for the protocol code.
  const [{ TtrpcClient }, { containerd }] = await Promise.all([
    import('../../ttrpc/index.js'),
    import('../../generated/index.js'),
  ]);
  let client: InstanceType<typeof TtrpcClient> | undefined;
  try {
    client = await TtrpcClient.connect(socketFile);
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
    void client?.close();
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
  return encodeDeleteResponse(pid, CLEANUP_EXIT_STATUS, new Date());
}

/**
 * DeleteResponse {pid, exit_status, exited_at}, in whole seconds and without a
 * zero pid: byte for byte what the `sh` wrapper's fast path prints for the same
 * cleanup (test/integration/shim-cli.test.ts compares them).
 */
async function encodeDeleteResponse(pid: number, exitStatus: number, exitedAt: Date): Promise<Uint8Array> {
  const { containerd } = await import('../../generated/index.js');
  return containerd.task.v2.DeleteResponse.encode({
    ...(pid !== 0 ? { pid } : {}),
    exitStatus,
    exitedAt: { seconds: Math.floor(exitedAt.getTime() / 1000) },
  }).finish();
}
