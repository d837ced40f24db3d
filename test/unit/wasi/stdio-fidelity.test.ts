import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { STREAM_RIGHTS } from '../../../src/wasi/abi.js';
import { StreamDescriptor } from '../../../src/wasi/stream-descriptor.js';
import { Probe, fifoWithIdleReader, tempDir } from './helpers.js';

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `work`, or 'hung' if it has not settled within `ms`. */
function within<T>(work: Promise<T>, ms: number): Promise<T | 'hung'> {
  return Promise.race([work, delay(ms).then(() => 'hung' as const)]);
}

describe('stdio a guest can trust', () => {
  it('reports a write done only once every byte is in the pipe, so ending the thread right after loses none', async () => {
    const out = fifoWithIdleReader(tempDir()); // nobody reads for now: the pipe fills
    const socket = new net.Socket({ fd: out.writeFd, readable: false, writable: true });
    const stdout = new StreamDescriptor(socket, { hostFd: out.writeFd, readable: false, writable: true, filetype: 0, rights: STREAM_RIGHTS });
    const data = Buffer.alloc(300 * 1024, 'z');
    const write = Promise.resolve(stdout.write([data]));
    expect(await within(write, 50)).toBe('hung'); // more than the pipe holds: the guest waits
    out.startReading();
    expect(await write).toBe(data.length);
    // What a terminated worker does to its handles: anything still queued would be dropped here.
    socket.destroy();
    expect((await out.received()).length).toBe(data.length);
  });

  it('ends stdin at once when the FIFO\'s only writer came and went before the guest\'s end was opened', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'stdin.fifo');
    execFileSync('mkfifo', [file]);
    // What ctr does with an empty stdin: its writer opens (a reader of its own unblocks it) and closes.
    const early = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    fs.closeSync(fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
    fs.closeSync(early);
    const readFd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const probe = await Probe.create({ stdin: readFd });
    expect(await within(probe.read(0), 2_000)).toEqual([0, '']);
    await probe.host.close();
  });

  it('still waits for a writer that is there but has not written yet', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'stdin.fifo');
    execFileSync('mkfifo', [file]);
    const readFd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const writeFd = fs.openSync(file, fs.constants.O_WRONLY);
    const probe = await Probe.create({ stdin: readFd });
    const read = probe.read(0);
    expect(await within(read, 50)).toBe('hung');
    fs.writeSync(writeFd, 'late');
    expect(await read).toEqual([0, 'late']);
    fs.closeSync(writeFd);
    expect(await within(probe.read(0), 2_000)).toEqual([0, '']);
    await probe.host.close();
  });

  it('drains the output to its reader before the host reports the guest done', async () => {
    const out = fifoWithIdleReader(tempDir());
    const probe = await Probe.create({ stdout: out.writeFd });
    await probe.write(1, 'x'.repeat(40 * 1024)); // fits in the pipe: written, not yet read
    const drained = probe.host.drainOutput(Date.now() + 5_000);
    expect(await within(drained, 100)).toBe('hung');
    out.startReading();
    await drained;
    await probe.host.close();
    expect((await out.received()).length).toBe(40 * 1024);
  });

  it('drains the output even when the guest closed its stdout itself', async () => {
    const out = fifoWithIdleReader(tempDir());
    const probe = await Probe.create({ stdout: out.writeFd });
    await probe.write(1, 'y'.repeat(40 * 1024));
    expect(await probe.call('fd_close', 1)).toBe(0);
    const drained = probe.host.drainOutput(Date.now() + 5_000);
    expect(await within(drained, 100)).toBe('hung');
    out.startReading();
    await drained;
    await probe.host.close();
    expect((await out.received()).length).toBe(40 * 1024);
  });

  it('stops waiting for a reader that never reads at the deadline', async () => {
    const out = fifoWithIdleReader(tempDir());
    const probe = await Probe.create({ stdout: out.writeFd });
    await probe.write(1, 'unread');
    const started = Date.now();
    await probe.host.drainOutput(Date.now() + 300);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await probe.host.close();
    out.close();
  });
});
