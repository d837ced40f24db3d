import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasOtherReader, PIPE_PROBE_WASM_BASE64, waitUntilPipesDrained } from '../../../src/wasi/pipe-drain.js';
import { fifoWithIdleReader, tempDir } from './helpers.js';
import fs from 'node:fs';

describe('waitUntilPipesDrained', () => {
  it('waits for the slower of two readers', async () => {
    const [a, b] = [fifoWithIdleReader(tempDir()), fifoWithIdleReader(tempDir())];
    fs.writeSync(a.writeFd, 'for a');
    fs.writeSync(b.writeFd, 'for b');
    expect(await waitUntilPipesDrained([a.writeFd, b.writeFd], Date.now() + 100)).toBe(false);
    a.startReading();
    expect(await waitUntilPipesDrained([a.writeFd, b.writeFd], Date.now() + 100)).toBe(false);
    b.startReading();
    expect(await waitUntilPipesDrained([a.writeFd, b.writeFd], Date.now() + 5_000)).toBe(true);
    for (const end of [a, b]) fs.closeSync(end.writeFd);
    expect([(await a.received()).toString(), (await b.received()).toString()]).toEqual(['for a', 'for b']);
  });

  it('embeds exactly the module that pipe-probe.wat assembles to', async () => {
    const { default: initWabt } = await import('wabt');
    const wabt = await initWabt();
    const source = path.join(import.meta.dirname, '..', '..', '..', 'src', 'wasi', 'pipe-probe.wat');
    const module = wabt.parseWat('pipe-probe.wat', await readFile(source, 'utf8'));
    module.validate();
    expect(Buffer.from(module.toBinary({}).buffer).toString('base64')).toBe(PIPE_PROBE_WASM_BASE64);
  });

  it('answers at once for an empty pipe and leaves its bytes alone otherwise', async () => {
    const out = fifoWithIdleReader(tempDir());
    expect(await waitUntilPipesDrained([out.writeFd], Date.now() + 1_000)).toBe(true);
    fs.writeSync(out.writeFd, 'still here');
    expect(await waitUntilPipesDrained([out.writeFd], Date.now() + 100)).toBe(false);
    out.startReading();
    expect(await waitUntilPipesDrained([out.writeFd], Date.now() + 5_000)).toBe(true);
    fs.closeSync(out.writeFd);
    expect((await out.received()).toString()).toBe('still here');
  });

  it('stops at once when no other process reads the pipe (ctr run -d reads nothing)', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'unread.fifo');
    execFileSync('mkfifo', [file]);
    // Only readers of our own, like the daemon's kept reader: nobody will ever take these bytes.
    const ownReader = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const writeFd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    fs.writeSync(writeFd, 'nobody reads this');
    const started = Date.now();
    expect(await waitUntilPipesDrained([writeFd], Date.now() + 5_000)).toBe(false);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await hasOtherReader(writeFd)).toBe(false);
    fs.closeSync(writeFd);
    fs.closeSync(ownReader);
  });

  it('sees a reader in another process', async () => {
    const out = fifoWithIdleReader(tempDir());
    expect(await hasOtherReader(out.writeFd)).toBe(true);
    out.close();
    fs.closeSync(out.writeFd);
  });

  it('counts a regular file as drained', async () => {
    const file = path.join(tempDir(), 'plain');
    const fd = fs.openSync(file, 'w');
    expect(await waitUntilPipesDrained([fd], Date.now())).toBe(true);
    fs.closeSync(fd);
  });
});
