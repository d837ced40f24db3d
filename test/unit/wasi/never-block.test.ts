import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CAT, SPIN, exitWith, flood, sleep } from './fixtures/guests.js';
import { assemble, fifoFromWriter, fifoToCollector, tempDir } from './helpers.js';
import { delay, runInWorker, timeTerminate } from './worker-harness.js';

/** Host paths of this process's open fds that lie under `dir`. */
function fdsUnder(dir: string): string[] {
  const found: string[] = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dir)) found.push(target);
    } catch {
      // closed meanwhile
    }
  }
  return found;
}

describe('a guest that waits does not block its worker', () => {
  it('runs a guest to completion in a worker thread', async () => {
    const guest = runInWorker(await assemble(exitWith(7)));
    expect(await guest.exited).toBe(7);
  });

  it('keeps the event loop running and terminates in under 100 ms while the guest sleeps', async () => {
    const rootfs = tempDir('wasi-nb-root-');
    const guest = runInWorker(await assemble(sleep(60_000_000_000n)), { rootfsPath: rootfs });
    await guest.started;
    await delay(100);
    expect(guest.ticks()).toBeGreaterThan(3);
    expect(fdsUnder(rootfs)).toHaveLength(1); // the preopen
    expect(await timeTerminate(guest.worker)).toBeLessThan(100);
    expect(fdsUnder(rootfs)).toHaveLength(0);
  });

  it('keeps the event loop running and terminates in under 100 ms while the guest reads an empty stdin FIFO', async () => {
    const dir = tempDir('wasi-nb-');
    const input = fifoFromWriter(dir);
    const guest = runInWorker(await assemble(CAT), { stdin: input.readFd });
    await guest.started;
    await delay(100);
    expect(guest.ticks()).toBeGreaterThan(3);
    expect(await timeTerminate(guest.worker)).toBeLessThan(100);
    // The worker's stdin handle is closed by the terminate: the writer sees no reader left.
    await delay(20);
    expect(fdsUnder(dir).filter((p) => p.endsWith('in.fifo'))).toHaveLength(1); // only our writer
    input.writer.destroy();
  });

  it('keeps the event loop running and terminates in under 100 ms while the guest writes to a full pipe', async () => {
    const dir = tempDir('wasi-nb-');
    const out = fifoToCollector(dir);
    out.reader.pause(); // a keep-alive reader that never reads
    const guest = runInWorker(await assemble(flood(64 * 1024 * 1024)), { stdout: out.writeFd });
    await guest.started;
    await delay(150);
    expect(guest.ticks()).toBeGreaterThan(3);
    expect(await timeTerminate(guest.worker)).toBeLessThan(100);
    out.reader.destroy();
  });

  it('terminates in under 100 ms while the guest spins in a tight loop', async () => {
    const guest = runInWorker(await assemble(SPIN));
    await guest.started;
    await delay(50);
    expect(await timeTerminate(guest.worker)).toBeLessThan(100);
  });

  it('sleeps for the requested time and then exits normally', async () => {
    const guest = runInWorker(await assemble(sleep(50_000_000n)));
    const before = performance.now();
    expect(await guest.exited).toBe(0);
    expect(performance.now() - before).toBeGreaterThanOrEqual(50);
  });
});

describe('no lost bytes', () => {
  const total = Number(process.env.WASMTS_FLOOD_BYTES ?? 1024 * 1024 * 1024);

  it(`passes every byte of ${total} written to stdout through a slow FIFO reader, in order`, async () => {
    const dir = tempDir('wasi-flood-');
    const out = fifoToCollector(dir, 'out.fifo', { retain: false });
    // Slow reader: pause for a moment every so often, and check every byte as it arrives.
    let received = 0;
    let mismatch = -1;
    out.reader.on('data', (chunk: Buffer) => {
      if (mismatch < 0) {
        let expected = received % 251;
        for (let i = 0; i < chunk.length; i++) {
          if (chunk[i] !== expected) {
            mismatch = received + i;
            break;
          }
          expected = expected === 250 ? 0 : expected + 1;
        }
      }
      received += chunk.length;
      if (Math.random() < 0.02) {
        out.reader.pause();
        setTimeout(() => out.reader.resume(), 2);
      }
    });
    const guest = runInWorker(await assemble(flood(total)), { stdout: out.writeFd });
    expect(await guest.exited).toBe(0);
    await out.collected();
    expect(received).toBe(total);
    expect(mismatch).toBe(-1);
  }, 180_000);

  it('reads every byte of a large stdin FIFO until EOF', async () => {
    const dir = tempDir('wasi-cat-');
    const input = fifoFromWriter(dir);
    const out = fifoToCollector(dir);
    const size = Math.min(total, 8 * 1024 * 1024);
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i++) data[i] = (i * 7) % 256;
    const guest = runInWorker(await assemble(CAT), { stdin: input.readFd, stdout: out.writeFd });
    input.writer.end(data);
    expect(await guest.exited).toBe(0);
    expect((await out.collected()).equals(data)).toBe(true);
  }, 60_000);
});
