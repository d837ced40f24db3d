import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FdFlags } from '../../../src/wasi/abi.js';
import { Errno } from '../../../src/wasi/errno.js';
import { READ_HIGH_WATER_MARK, WRITE_HIGH_WATER_MARK } from '../../../src/wasi/index.js';
import { Probe, fifoFromWriter, fifoToCollector, fifoWithIdleReader, tempDir } from './helpers.js';

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Reads stdin (fd 0) in 16 KiB reads until end of file; every read must succeed. */
async function readToEnd(probe: Probe): Promise<string> {
  let received = '';
  for (;;) {
    const [errno, text] = await probe.read(0, 16 * 1024);
    expect(errno).toBe(0);
    if (text === '') return received;
    received += text;
  }
}

describe('streams', () => {
  it('gives the guest every byte still in the stdin pipe when stdin is closed (CloseIO), then end of file', async () => {
    const input = fifoFromWriter(tempDir());
    const probe = await Probe.create({ stdin: input.readFd });
    const sent = 'abcdefgh'.repeat(6 * 1024); // 48 KiB, all of it in the pipe before the guest reads
    await new Promise<void>((resolve) => input.writer.write(sent, () => resolve()));
    probe.host.closeStdin();
    const received = await readToEnd(probe);
    expect(received).toBe(sent);
    input.writer.destroy();
    await probe.host.close();
  });

  it('gives the guest each byte exactly once when stdin is closed while reading ahead is paused', async () => {
    const input = fifoFromWriter(tempDir());
    const probe = await Probe.create({ stdin: input.readFd });
    // More than the read-ahead limit: reading pauses with bytes left in the stream's own buffer and in the pipe.
    const lines: string[] = [];
    for (let i = 0; lines.length * 8 < READ_HIGH_WATER_MARK + 96 * 1024; i++) lines.push(`${String(i).padStart(7, '0')}\n`);
    const sent = lines.join('');
    input.writer.write(sent);
    await delay(100);
    probe.host.closeStdin();
    const received = await readToEnd(probe);
    expect(received.length).toBe(sent.length);
    expect(received === sent).toBe(true);
    input.writer.destroy();
    await probe.host.close();
  });

  it('answers EPIPE, without crashing, once the stdout reader is gone', async () => {
    const out = fifoToCollector(tempDir());
    const probe = await Probe.create({ stdout: out.writeFd });
    out.reader.destroy();
    let errno = 0;
    for (let i = 0; i < 100 && errno === 0; i++) {
      [errno] = await probe.write(1, 'x'.repeat(1024));
      await delay(1);
    }
    expect(errno).toBe(Errno.PIPE);
    await probe.host.close();
  });

  it('answers EAGAIN instead of waiting when the guest set NONBLOCK on stdin', async () => {
    const input = fifoFromWriter(tempDir());
    const probe = await Probe.create({ stdin: input.readFd });
    expect(await probe.call('fd_fdstat_set_flags', 0, FdFlags.NONBLOCK)).toBe(0);
    expect((await probe.read(0))[0]).toBe(Errno.AGAIN);
    input.writer.write('now');
    await delay(20);
    expect(await probe.read(0)).toEqual([0, 'now']);
    input.writer.end();
    await probe.host.close();
  });

  it('suspends a write to a full pipe until the reader makes room, and polls for writability', async () => {
    const out = fifoWithIdleReader(tempDir());
    const probe = await Probe.create({ stdout: out.writeFd });
    const chunk = 'y'.repeat(32 * 1024);
    // Fill the kernel pipe until a write has to wait.
    let pending: Promise<[number, number]> | undefined;
    for (let i = 0; i < 1000; i++) {
      const write = probe.write(1, chunk);
      const settled = await Promise.race([write.then(() => true), delay(20).then(() => false)]);
      if (!settled) {
        pending = write;
        break;
      }
    }
    expect(pending).toBeDefined();
    let done = false;
    void pending!.then(() => (done = true));
    await delay(30);
    expect(done).toBe(false);
    out.startReading();
    expect((await pending!)[0]).toBe(0);
    // With room again, poll_oneoff reports stdout writable at once.
    probe.put(0, new Uint8Array(48));
    probe.setU64(0, 11n);
    probe.view.setUint8(8, 2);
    probe.setU32(16, 1);
    expect(await probe.call('poll_oneoff', 0, 1024, 1, 2048)).toBe(0);
    expect(probe.u32(2048)).toBe(1);
    expect(probe.u64(1024 + 16)).toBeGreaterThan(0n);
    expect(probe.u64(1024 + 16)).toBeLessThanOrEqual(BigInt(WRITE_HIGH_WATER_MARK));
    await probe.host.close();
    out.close();
  });

  it('reads a FIFO found in the rootfs without blocking the thread, waiting for its writer', async () => {
    const rootfs = tempDir('wasi-fifo-root-');
    const fifo = path.join(rootfs, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const probe = await Probe.create({ preopens: [{ guestPath: '/', hostPath: rootfs }] });
    // Keep a writer open from the start, so the guest waits instead of seeing EOF.
    const keep = fs.openSync(fifo, fs.constants.O_RDWR);
    const [errno, fd] = await probe.open(3, 'pipe', { rights: 2n });
    expect(errno).toBe(0);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    setTimeout(() => fs.writeSync(keep, 'late data'), 60);
    expect(await probe.read(fd)).toEqual([0, 'late data']);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(5);
    fs.closeSync(keep);
  });

  it('answers EILSEQ for a path that is not UTF-8', async () => {
    const probe = await Probe.create({ preopens: [{ guestPath: '/', hostPath: tempDir() }] });
    probe.put(0x8000, new Uint8Array([0x66, 0xff, 0x66]));
    expect(await probe.call('path_open', 3, 1, 0x8000, 3, 0, 2n, 0n, 0, 0x7ff0)).toBe(Errno.ILSEQ);
  });
});
