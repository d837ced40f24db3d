import { describe, expect, it } from 'vitest';
import { Errno } from '../../../src/wasi/errno.js';
import { fifoFromWriter, Probe, tempDir } from './helpers.js';

const SUB = 48;
const EVENT = 32;

function clockSub(probe: Probe, at: number, userdata: bigint, timeoutNs: bigint, options: { clock?: number; abs?: boolean } = {}): void {
  probe.put(at, new Uint8Array(SUB));
  probe.setU64(at, userdata);
  probe.setU32(at + 16, options.clock ?? 1);
  probe.setU64(at + 24, timeoutNs);
  probe.view.setUint16(at + 40, options.abs === true ? 1 : 0, true);
}

function fdSub(probe: Probe, at: number, userdata: bigint, type: 1 | 2, fd: number): void {
  probe.put(at, new Uint8Array(SUB));
  probe.setU64(at, userdata);
  probe.view.setUint8(at + 8, type);
  probe.setU32(at + 16, fd);
}

describe('poll_oneoff', () => {
  it('sleeps for a relative clock timeout without blocking the event loop', async () => {
    const probe = await Probe.create();
    clockSub(probe, 0, 7n, 50_000_000n);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const started = performance.now();
    expect(await probe.call('poll_oneoff', 0, 1024, 1, 2048)).toBe(0);
    clearInterval(timer);
    expect(performance.now() - started).toBeGreaterThanOrEqual(49);
    expect(ticks).toBeGreaterThan(3);
    expect(probe.u32(2048)).toBe(1);
    expect(probe.u64(1024)).toBe(7n);
    expect(probe.u16(1024 + 8)).toBe(0);
    expect(probe.u8(1024 + 10)).toBe(0);
  });

  it('sleeps until an absolute realtime deadline', async () => {
    const probe = await Probe.create();
    const deadline = BigInt(Date.now() + 30) * 1_000_000n;
    clockSub(probe, 0, 1n, deadline, { clock: 0, abs: true });
    const started = performance.now();
    expect(await probe.call('poll_oneoff', 0, 1024, 1, 2048)).toBe(0);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('reports only the clock that fired first among several', async () => {
    const probe = await Probe.create();
    clockSub(probe, 0, 1n, 200_000_000n);
    clockSub(probe, SUB, 2n, 10_000_000n);
    expect(await probe.call('poll_oneoff', 0, 1024, 2, 2048)).toBe(0);
    expect(probe.u32(2048)).toBe(1);
    expect(probe.u64(1024)).toBe(2n);
  });

  it('returns at once for fds that are ready and reports each one', async () => {
    const probe = await Probe.create();
    clockSub(probe, 0, 1n, 5_000_000_000n);
    fdSub(probe, SUB, 2n, 2, 1); // stdout (null) is writable
    fdSub(probe, 2 * SUB, 3n, 1, 0); // stdin (null) is at EOF
    expect(await probe.call('poll_oneoff', 0, 1024, 3, 2048)).toBe(0);
    expect(probe.u32(2048)).toBe(2);
    expect([probe.u64(1024), probe.u64(1024 + EVENT)].sort()).toEqual([2n, 3n]);
  });

  it('reports EBADF in the event for an fd that is not open', async () => {
    const probe = await Probe.create();
    fdSub(probe, 0, 9n, 1, 77);
    expect(await probe.call('poll_oneoff', 0, 1024, 1, 2048)).toBe(0);
    expect(probe.u16(1024 + 8)).toBe(Errno.BADF);
  });

  it('waits for data on a stdin FIFO and reports how many bytes are ready', async () => {
    const input = fifoFromWriter(tempDir());
    const probe = await Probe.create({ stdin: input.readFd });
    fdSub(probe, 0, 5n, 1, 0);
    clockSub(probe, SUB, 6n, 5_000_000_000n);
    setTimeout(() => input.writer.write('abc'), 20);
    expect(await probe.call('poll_oneoff', 0, 1024, 2, 2048)).toBe(0);
    expect(probe.u32(2048)).toBe(1);
    expect(probe.u64(1024)).toBe(5n);
    expect(probe.u64(1024 + 16)).toBe(3n);
    input.writer.end();
    await probe.host.close();
  });

  it('answers EINVAL for zero subscriptions', async () => {
    const probe = await Probe.create();
    expect(await probe.call('poll_oneoff', 0, 1024, 0, 2048)).toBe(Errno.INVAL);
  });
});
