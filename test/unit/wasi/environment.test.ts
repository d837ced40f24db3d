import { describe, expect, it } from 'vitest';
import { Errno } from '../../../src/wasi/errno.js';
import { Probe } from './helpers.js';

describe('args and environ', () => {
  it('reports argv sizes and copies NUL-terminated strings with pointers', async () => {
    const probe = await Probe.create({ args: ['prog', 'héllo', ''] });
    expect(await probe.call('args_sizes_get', 0, 4)).toBe(0);
    expect(probe.u32(0)).toBe(3);
    expect(probe.u32(4)).toBe(5 + 7 + 1);
    expect(await probe.call('args_get', 16, 64)).toBe(0);
    expect(probe.bytes(probe.u32(16), 5).toString()).toBe('prog\0');
    expect(probe.bytes(probe.u32(20), 7).toString()).toBe('héllo\0');
    expect(probe.u32(24)).toBe(64 + 12);
  });

  it('copies environ as KEY=value strings exactly as given', async () => {
    const probe = await Probe.create({ env: ['A=1', 'B=two'], cwd: '/app' });
    expect(await probe.call('environ_sizes_get', 0, 4)).toBe(0);
    expect(probe.u32(0)).toBe(2);
    expect(await probe.call('environ_get', 16, 64)).toBe(0);
    expect(probe.bytes(64, probe.u32(4)).toString()).toBe('A=1\0B=two\0');
  });

  it('answers EFAULT for a pointer outside memory instead of trapping', async () => {
    const probe = await Probe.create({ args: ['x'] });
    expect(await probe.call('args_sizes_get', 0xffff_fff0, 0)).toBe(Errno.FAULT);
  });
});

describe('clocks', () => {
  it('gives all four clocks a resolution and a time', async () => {
    const probe = await Probe.create();
    for (const id of [0, 1, 2, 3]) {
      expect(await probe.call('clock_res_get', id, 0)).toBe(0);
      expect(probe.u64(0)).toBeGreaterThan(0n);
      expect(await probe.call('clock_time_get', id, 1n, 8)).toBe(0);
      expect(probe.u64(8)).toBeGreaterThan(0n);
    }
  });

  it('reads the realtime clock as nanoseconds since the epoch', async () => {
    const probe = await Probe.create();
    await probe.call('clock_time_get', 0, 0n, 0);
    const ms = Number(probe.u64(0) / 1_000_000n);
    expect(Math.abs(ms - Date.now())).toBeLessThan(50);
  });

  it('never moves the monotonic clock backwards', async () => {
    const probe = await Probe.create();
    let last = 0n;
    for (let i = 0; i < 100; i++) {
      await probe.call('clock_time_get', 1, 0n, 0);
      expect(probe.u64(0)).toBeGreaterThanOrEqual(last);
      last = probe.u64(0);
    }
  });

  it('answers EINVAL for an unknown clock', async () => {
    const probe = await Probe.create();
    expect(await probe.call('clock_time_get', 9, 0n, 0)).toBe(Errno.INVAL);
    expect(await probe.call('clock_res_get', 9, 0)).toBe(Errno.INVAL);
  });
});

describe('random_get', () => {
  it('fills the buffer with random bytes', async () => {
    const probe = await Probe.create();
    expect(await probe.call('random_get', 256, 4096)).toBe(0);
    const bytes = probe.bytes(256, 4096);
    expect(new Set(bytes).size).toBeGreaterThan(200);
  });
});

describe('proc_raise and sched_yield', () => {
  it('ignores signals whose default action is to ignore them', async () => {
    const probe = await Probe.create();
    expect(await probe.call('proc_raise', 16)).toBe(0); // SIGCHLD
  });

  it('ends the instance with 128 + the signal number for a terminating signal', async () => {
    const probe = await Probe.create();
    await expect(probe.call('proc_raise', 15)).rejects.toMatchObject({ name: 'ProcExit', code: 143 });
  });

  it('yields to the event loop in sched_yield', async () => {
    const probe = await Probe.create();
    let ran = false;
    setImmediate(() => (ran = true));
    expect(await probe.call('sched_yield')).toBe(0);
    expect(ran).toBe(true);
  });
});
