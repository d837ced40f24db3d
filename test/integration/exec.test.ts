import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_IMAGES, uniqueId, useContainerd, WASMTS_RUNTIME } from '../support/rig.js';
import { captureEvents, removeTask, taskRow, waitForStatus } from '../support/tasks.js';

const containerd = useContainerd();

describe('ctr task exec', () => {
  const id = uniqueId('exec');

  beforeAll(async () => {
    await containerd.ctrOk(['run', '-d', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.toolbox.reference, id]);
    await waitForStatus(containerd, id, 'RUNNING');
  });

  afterAll(async () => {
    await removeTask(containerd, id);
  });

  it("runs another module of the container while the task runs, printing the exec's output", async () => {
    const result = await containerd.ctr(['task', 'exec', '--exec-id', 'e1', id, '/hello.wasm']);
    expect(result.stdout).toBe('hello from wasm\n');
    expect(result.stderr).toContain('hello on stderr');
    expect(result.code).toBe(0);
    expect((await taskRow(containerd, id))?.status).toBe('RUNNING');
  });

  it("passes the exec's arguments and returns its exit status", async () => {
    const result = await containerd.ctr(['task', 'exec', '--exec-id', 'e-status', id, '/exit-code.wasm', '3']);
    expect(result.code).toBe(3);
  });

  it('publishes /tasks/exec-added, /tasks/exec-started and /tasks/exit with the exec id', async () => {
    const events = await captureEvents(containerd, () =>
      containerd.ctr(['task', 'exec', '--exec-id', 'e-events', id, '/exit-code.wasm', '7']),
    );
    const mine = events.filter((e) => e.body.container_id === id);
    expect(mine.map((e) => e.topic)).toEqual(['/tasks/exec-added', '/tasks/exec-started', '/tasks/exit']);
    expect(mine[0]!.body).toMatchObject({ exec_id: 'e-events' });
    expect(mine[1]!.body).toMatchObject({ exec_id: 'e-events', pid: expect.any(Number) });
    expect(mine[2]!.body).toMatchObject({ id: 'e-events', exit_status: 7, pid: mine[1]!.body.pid });
  });

  it('lists a running exec in ctr task ps and ends it with ctr task kill --exec-id', async () => {
    await containerd.ctrOk(['task', 'exec', '-d', '--exec-id', 'e-ps', id, '/ticker.wasm']);
    const ps = await containerd.ctrOk(['task', 'ps', id]);
    const rows = ps.trim().split('\n').slice(1);
    expect(rows).toHaveLength(2);
    expect(ps).toContain('e-ps');
    const events = await captureEvents(containerd, () =>
      containerd.ctrOk(['task', 'kill', '--exec-id', 'e-ps', '-s', 'SIGKILL', id]),
    );
    expect(events.find((e) => e.topic === '/tasks/exit' && e.body.id === 'e-ps')?.body).toMatchObject({ exit_status: 137 });
    expect((await taskRow(containerd, id))?.status).toBe('RUNNING');
  });

  it('refuses a second exec with the same exec id as already existing', async () => {
    await containerd.ctrOk(['task', 'exec', '-d', '--exec-id', 'e-dup', id, '/ticker.wasm']);
    const again = await containerd.ctr(['task', 'exec', '--exec-id', 'e-dup', id, '/hello.wasm']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already exists/);
    await containerd.ctrOk(['task', 'kill', '--exec-id', 'e-dup', '-s', 'SIGKILL', id]);
  });

  it('refuses an exec whose entrypoint is not a wasm module, naming the path and the problem', async () => {
    const result = await containerd.ctr(['task', 'exec', '--exec-id', 'e-text', id, '/not-wasm.txt']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('/not-wasm.txt is a text file');
    expect(result.stderr).toContain('not a WebAssembly module');
    expect((await taskRow(containerd, id))?.status).toBe('RUNNING');
  });

  it('refuses an exec of a module missing from the container, naming the path', async () => {
    const result = await containerd.ctr(['task', 'exec', '--exec-id', 'e-missing', id, '/nope.wasm']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('/nope.wasm');
  });
});
