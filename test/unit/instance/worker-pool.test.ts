/**
 * The pool of booted guest workers on its own: spares wait for the next guest,
 * and, given an idle period, end once no guest came or went for that long.
 */
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerPool } from '../../../src/instance/worker-pool.js';

const ENTRY = new URL('./fixtures/worker-entry.mjs', import.meta.url);
const pools: WorkerPool[] = [];

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});

function poolOf(spares: number): WorkerPool {
  const pool = new WorkerPool(spares, ENTRY);
  pools.push(pool);
  return pool;
}

describe('the worker pool', () => {
  it('lets its waiting workers go on renew and boots fresh ones (a spare daemon that moved into a pod)', async () => {
    const pool = poolOf(1);
    const first = await pool.take();
    pool.give(first); // waits again, beside the refilled spare
    const ended = once(first.worker, 'exit');
    pool.renew();
    await ended;
    expect(pool.waiting).toBe(1);
    const next = await pool.take();
    expect(next.tid).not.toBe(first.tid);
    await next.worker.terminate();
  });

  it('keeps its spare waiting when it has no idle period (a spare daemon waiting to be claimed)', async () => {
    const pool = poolOf(1);
    await sleep(800);
    expect(pool.waiting).toBe(1);
  });

  it('lets its waiting workers go after the idle period, leaves taken ones alone, and boots again on the next take', async () => {
    const pool = poolOf(1);
    const first = await pool.take();
    expect(pool.waiting).toBe(1); // the spare, refilled
    pool.setIdlePeriod(400);
    await sleep(900);
    expect(pool.waiting).toBe(0);
    expect(first.worker.threadId).not.toBe(-1); // a guest's worker is not the pool's to end

    // A worker given back waits again, for one idle period.
    const ended = once(first.worker, 'exit');
    pool.give(first);
    expect(pool.waiting).toBe(1);
    await ended;
    expect(pool.waiting).toBe(0);

    const next = await pool.take();
    expect(next.tid).not.toBe(first.tid);
    expect(pool.waiting).toBe(1);
    await next.worker.terminate();
  });
});
