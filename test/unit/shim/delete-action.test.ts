import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { containerd } from '../../../src/generated/index.js';
import { deleteAction } from '../../../src/shim/cli/delete-action.js';
import { parseFlags } from '../../../src/shim/cli/flags.js';
import { RUNC_ADDRESS_FILE } from '../../../src/shim/daemon/handoff.js';
import { StatusCode, TtrpcServer, TtrpcStatusError } from '../../../src/ttrpc/index.js';

const v2 = containerd.task.v2;

/**
 * A stand-in for the runc shim of a pod's Linux container: Kill only signals, the
 * process is reaped 300 ms later, and until then Delete is refused, as runc's is.
 */
async function runcLikeShim(socket: string, pid: number) {
  const calls: string[] = [];
  let exited = false;
  let reaped: () => void = () => {};
  const exit = new Promise<void>((resolve) => (reaped = resolve));
  const ttrpc = new TtrpcServer();
  ttrpc.register('containerd.task.v2.Task', {
    async Kill() {
      calls.push('Kill');
      setTimeout(() => {
        exited = true;
        reaped();
      }, 300);
      return new Uint8Array(0);
    },
    async Wait() {
      calls.push('Wait');
      await exit;
      return v2.WaitResponse.encode({ exitStatus: 137 }).finish();
    },
    async Delete() {
      calls.push(exited ? 'Delete' : 'Delete refused');
      if (!exited) throw new TtrpcStatusError(StatusCode.FAILED_PRECONDITION, 'cannot delete running task');
      return v2.DeleteResponse.encode({ pid, exitStatus: 137 }).finish();
    },
    async Shutdown() {
      calls.push('Shutdown');
      return new Uint8Array(0);
    },
  });
  const server = createServer();
  ttrpc.listen(server);
  await new Promise<void>((resolve) => server.listen(socket, () => resolve()));
  return { calls, stop: () => ttrpc.shutdown() };
}

describe('delete action', () => {
  it("removes the socket of a daemon that died (nothing answers on it) and answers exit status 137", async () => {
    const bundle = mkdtempSync(path.join(tmpdir(), 'wasmts-delete-'));
    const socket = path.join(bundle, 'dead.sock');
    writeFileSync(socket, ''); // what a SIGKILLed daemon leaves: a path nobody listens on
    writeFileSync(path.join(bundle, 'address'), `unix://${socket}`);
    const flags = parseFlags(['-namespace', 'ns', '-id', 'web', '-bundle', bundle, 'delete']);
    const response = await deleteAction(flags);
    expect(existsSync(socket)).toBe(false);
    // DeleteResponse field 2 (exit_status) = 137: tag 0x10, varint 0x89 0x01.
    expect(Buffer.from(response).includes(Buffer.from([0x10, 0x89, 0x01]))).toBe(true);
  });

  it("ends a pod's Linux container in its runc shim: waits for the killed process before the Delete, then shuts the shim down", async () => {
    const bundle = mkdtempSync(path.join(tmpdir(), 'wasmts-delete-'));
    const socket = path.join(bundle, 'runc.sock');
    const shim = await runcLikeShim(socket, 4242);
    try {
      writeFileSync(path.join(bundle, RUNC_ADDRESS_FILE), `unix://${socket}`);
      const flags = parseFlags(['-namespace', 'ns', '-id', 'sidecar', '-bundle', bundle, 'delete']);
      const response = v2.DeleteResponse.decode(await deleteAction(flags));
      expect(shim.calls).toEqual(['Kill', 'Wait', 'Delete', 'Shutdown']);
      expect(response.pid).toBe(4242);
      expect(response.exitStatus).toBe(137);
    } finally {
      await shim.stop();
    }
  });
});
