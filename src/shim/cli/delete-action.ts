import { existsSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { ExitStatus } from '../../exit-status.js';
import path from 'node:path';
import { unmountAll } from '../../oci/rootfs-mounts.js';
import type { ShimFlags } from './flags.js';
import { isServing } from '../daemon/group-socket.js';
import { socketFileOf } from './socket-address.js';
import { RUNC_ADDRESS_FILE } from '../daemon/handoff.js';
import { isPodSandbox, readStartSpec, SANDBOX_ID_ANNOTATION } from '../../oci/bundle-spec.js';

/** What containerd reports for a task cleaned up this way: killed (128+SIGKILL), as runc's shim does. */
const CLEANUP_EXIT_STATUS = ExitStatus.UNKNOWN_AFTER_CRASH;
const CLEANUP_CALL_TIMEOUT_MS = 1_500;
/** How long a killed task may take to be reaped before its Delete (SIGKILL: normally milliseconds). */
const CLEANUP_WAIT_TIMEOUT_MS = 3_000;

/**
 * If the group's daemon is still alive and holds the task (containerd lost
 * track of it), asks it to end and forget the task; if the daemon is gone,
 * removes its socket file. Resolves to the task's pid when known.
 */
async function endInDaemon(bundle: string, id: string): Promise<number> {
  // A pod's Linux container is the runc shim's to end (its address is kept in the bundle).
  for (const file of [RUNC_ADDRESS_FILE, 'address']) {
    let socketFile: string;
    try {
      socketFile = socketFileOf(readFileSync(path.join(bundle, file), 'utf8').trim());
    } catch {
      continue;
    }
    const pid = await endServedTask(socketFile, id);
    if (pid !== undefined) return pid;
  }
  return 0;
}

/** Ends and deletes the task in the shim at `socketFile`; undefined when nothing serves there. */
async function endServedTask(socketFile: string, id: string): Promise<number | undefined> {
  if (!(await isServing(socketFile, 500))) {
    try {
      unlinkSync(socketFile); // its daemon died: leave no socket behind
    } catch {
      // already gone
    }
    return undefined;
  }
  // Only this rare path pays for the protocol code.
  const [{ TtrpcClient, TtrpcStatusError, StatusCode }, { containerd }] = await Promise.all([
    import('../../ttrpc/index.js'),
    import('../../generated/index.js'),
  ]);
  let client: InstanceType<typeof TtrpcClient> | undefined;
  try {
    client = await TtrpcClient.connect(socketFile);
    const v2 = containerd.task.v2;
    const options = { timeoutMs: CLEANUP_CALL_TIMEOUT_MS };
    // Our daemons answer both task APIs; containerd 2.x's runc shim answers only v3 (same messages).
    let service = 'containerd.task.v2.Task';
    const kill = v2.KillRequest.encode({ id, signal: 9, all: true }).finish();
    const killed = await client.call(service, 'Kill', kill, options).catch((error: unknown) => error);
    if (killed instanceof TtrpcStatusError && killed.code === StatusCode.UNIMPLEMENTED) {
      service = 'containerd.task.v3.Task';
      await client.call(service, 'Kill', kill, options).catch(() => undefined);
    }
    // Kill only signals: a shim refuses to delete a task whose process it has not reaped yet
    // (runc's: "cannot delete running task"), so wait for the exit first.
    await client.call(service, 'Wait', v2.WaitRequest.encode({ id }).finish(), { timeoutMs: CLEANUP_WAIT_TIMEOUT_MS }).catch(() => undefined);
    const deleted = await client.call(service, 'Delete', v2.DeleteRequest.encode({ id }).finish(), options).catch((error: unknown) => error);
    // As containerd does after a Delete: a shim serving no task then exits. This is also how the
    // runc shim of a pod's Linux container (its address is in the bundle) goes when the pod's daemon died.
    await client.call(service, 'Shutdown', v2.ShutdownRequest.encode({ id }).finish(), options).catch(() => undefined);
    return deleted instanceof Uint8Array ? v2.DeleteResponse.decode(deleted).pid : 0;
  } catch {
    return 0;
  } finally {
    void client?.close();
  }
}

/**
 * The cleanup of a pod's sandbox ends the pod's Linux containers too (their
 * bundles sit beside the sandbox's, each with its runc shim's address): when
 * the pod's daemon died, some containerd versions clean up only one of the
 * tasks the daemon served, and the runc shims would live on.
 */
async function endPodLinuxContainers(sandboxBundle: string, sandboxId: string): Promise<void> {
  const parent = path.dirname(sandboxBundle);
  let siblings: string[];
  try {
    siblings = readdirSync(parent);
  } catch {
    return;
  }
  for (const id of siblings) {
    const bundle = path.join(parent, id);
    if (id === sandboxId || !existsSync(path.join(bundle, RUNC_ADDRESS_FILE))) continue;
    if (readStartSpec(bundle, id).annotations[SANDBOX_ID_ANNOTATION] !== sandboxId) continue;
    let socketFile: string;
    try {
      socketFile = socketFileOf(readFileSync(path.join(bundle, RUNC_ADDRESS_FILE), 'utf8').trim());
    } catch {
      continue;
    }
    await endServedTask(socketFile, id);
  }
}

/**
 * `delete`: containerd's cleanup of one container, after every teardown and
 * after a crash. Idempotent; prints a DeleteResponse on stdout.
 */
export async function deleteAction(flags: ShimFlags): Promise<Uint8Array> {
  const bundle = flags.bundle !== '' ? flags.bundle : process.cwd();
  const pid = flags.id !== '' ? await endInDaemon(bundle, flags.id) : 0;
  if (flags.id !== '' && isPodSandbox(readStartSpec(bundle, flags.id).annotations)) await endPodLinuxContainers(bundle, flags.id);
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
