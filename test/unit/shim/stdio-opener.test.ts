import { closeSync, mkdtempSync, readFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBinaryUri } from '../../../src/shim/stdio/binary-logger.js';
import { FifoStdioOpener } from '../../../src/shim/stdio/stdio-opener.js';

const owner = { containerId: 'web', execId: '' };
const paths = (stdout: string, stderr = stdout) => ({ stdin: '', stdout, stderr, terminal: false });

describe('stdio URIs', () => {
  it('turns the query of a binary:// URI into the logger arguments, in order', () => {
    expect(parseBinaryUri('binary:///usr/bin/logger?tag=web&verbose&level=info')).toEqual({
      command: '/usr/bin/logger',
      args: ['tag', 'web', 'verbose', 'level', 'info'],
    });
  });

  it('refuses a binary:// URI without an absolute path', () => {
    expect(() => parseBinaryUri('binary://logger')).toThrow(/absolute path/);
  });

  it('appends stdout and stderr of a file:// URI to one file, creating its directory', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wasmts-opener-'));
    const file = path.join(dir, 'a', 'b', 'out.log');
    const opened = await new FifoStdioOpener('ns').open(paths(`file://${file}`), owner);
    writeSync(opened.stdout!, 'one\n');
    writeSync(opened.stderr!, 'two\n');
    closeSync(opened.stdout!);
    closeSync(opened.stderr!);
    await opened.close();
    expect(readFileSync(file, 'utf8')).toBe('one\ntwo\n');
  });

  it('refuses an unknown stdio scheme, naming it', async () => {
    await expect(new FifoStdioOpener('ns').open(paths('npipe://x'), owner)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: expect.stringContaining('npipe://'),
    });
  });
});
