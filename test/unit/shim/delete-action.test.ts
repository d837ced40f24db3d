import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deleteAction } from '../../../src/shim/cli/delete-action.js';
import { parseFlags } from '../../../src/shim/cli/flags.js';

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
});
