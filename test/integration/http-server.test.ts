import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { runCommand } from '../support/run-command.js';
import { freePort, httpGet, portIsFree, waitForHttp } from '../support/net.js';
import { TEST_IMAGES, uniqueId, useContainerd, WASMTS_RUNTIME } from '../support/rig.js';

const containerd = useContainerd();
const started: string[] = [];

async function taskStatus(id: string): Promise<string | undefined> {
  const out = await containerd.ctrOk(['task', 'ls']);
  for (const line of out.split('\n').slice(1)) {
    const [taskId, , status] = line.trim().split(/\s+/);
    if (taskId === id) return status;
  }
  return undefined;
}

async function waitForStatus(id: string, status: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await taskStatus(id)) !== status) {
    if (Date.now() > deadline) throw new Error(`task ${id} is ${(await taskStatus(id)) ?? 'gone'}, not ${status}`);
    await sleep(20);
  }
}

/** `ctr run -d --net-host` of an image with extra args; remembered for cleanup. */
async function runDetached(image: string, prefix: string, args: string[], extra: string[] = []): Promise<string> {
  const id = uniqueId(prefix);
  started.push(id);
  await containerd.ctrOk(['run', '-d', '--net-host', ...extra, '--runtime', WASMTS_RUNTIME, image, id, ...args]);
  return id;
}

async function remove(id: string): Promise<void> {
  if ((await taskStatus(id)) === 'RUNNING') {
    await containerd.ctr(['task', 'kill', '-s', 'SIGKILL', id]);
    await waitForStatus(id, 'STOPPED', 5_000).catch(() => {});
  }
  await containerd.ctr(['task', 'delete', id]);
  await containerd.ctr(['container', 'delete', id]);
}

afterEach(async () => {
  for (const id of started.splice(0)) await remove(id);
});

/** Sends `count` requests, `concurrency` at a time, each on a new connection; resolves to the bodies. */
async function load(port: number, count: number, concurrency: number): Promise<string[]> {
  const bodies: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next += 1;
      const reply = await httpGet(port);
      expect(reply.status).toBe(200);
      bodies.push(reply.body);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return bodies;
}

describe('an HTTP server on WasmEdge sockets under ctr run --net-host', () => {
  it('answers curl, 1000 sequential and 100 concurrent requests, then frees its port on ctr task kill', async () => {
    const port = await freePort();
    const id = await runDetached(TEST_IMAGES.httpServer.reference, 'http', ['/http-server.wasm', String(port), '127.0.0.1']);
    expect(await waitForHttp(port)).toEqual({ status: 200, body: 'Hello, World!' });

    const curl = await runCommand('curl', ['-s', '--max-time', '5', `http://localhost:${port}/`]);
    expect(curl.stdout).toBe('Hello, World!');

    const sequential = await load(port, 1000, 1);
    expect(sequential).toHaveLength(1000);
    expect(new Set(sequential)).toEqual(new Set(['Hello, World!']));

    const concurrent = await Promise.all(Array.from({ length: 100 }, () => httpGet(port)));
    expect(concurrent.map((r) => r.body)).toEqual(new Array(100).fill('Hello, World!'));

    const before = performance.now();
    await containerd.ctrOk(['task', 'kill', id]);
    await waitForStatus(id, 'STOPPED', 5_000);
    expect(performance.now() - before).toBeLessThan(2_000);
    // The listener was the guest's worker's own handle: it is gone with the worker.
    const deadline = Date.now() + 2_000;
    while (!(await portIsFree(port)) && Date.now() < deadline) await sleep(20);
    expect(await portIsFree(port)).toBe(true);
  });

  it('serves one connection at a time with blocking accept/recv/send', async () => {
    const port = await freePort();
    await runDetached(TEST_IMAGES.httpServer.reference, 'http-blocking', ['/http-server.wasm', String(port), '127.0.0.1', 'blocking']);
    expect((await waitForHttp(port)).body).toBe('Hello, World!');
    expect(await load(port, 200, 1)).toHaveLength(200);
    const concurrent = await Promise.all(Array.from({ length: 50 }, () => httpGet(port)));
    expect(concurrent.every((r) => r.body === 'Hello, World!')).toBe(true);
  });

  it('refuses to start a second server on a port in use, saying why', async () => {
    const port = await freePort();
    await runDetached(TEST_IMAGES.httpServer.reference, 'http-first', ['/http-server.wasm', String(port), '127.0.0.1']);
    await waitForHttp(port);
    const id = uniqueId('http-second');
    const result = await containerd.ctr(['run', '--rm', '--net-host', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.httpServer.reference, id, '/http-server.wasm', String(port), '127.0.0.1']);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toContain('cannot listen on 127.0.0.1');
  });
});

describe('a listening socket handed over by annotation (the --tcplisten style)', () => {
  it('serves HTTP with preview 1 sock_accept on the socket the runtime opened', async () => {
    const port = await freePort();
    const id = await runDetached(TEST_IMAGES.tcplistenServer.reference, 'tcplisten', [], [
      '--annotation', `io.containerd.wasmts.v1.tcplisten=127.0.0.1:${port}`,
    ]);
    expect(await waitForHttp(port)).toEqual({ status: 200, body: 'Hello, World!' });
    expect(await load(port, 100, 10)).toHaveLength(100);
    await containerd.ctrOk(['task', 'kill', id]);
    await waitForStatus(id, 'STOPPED', 5_000);
    const deadline = Date.now() + 2_000;
    while (!(await portIsFree(port)) && Date.now() < deadline) await sleep(20);
    expect(await portIsFree(port)).toBe(true);
  });

  it('fails the create with the address when the port is taken', async () => {
    const port = await freePort();
    await runDetached(TEST_IMAGES.httpServer.reference, 'http-holder', ['/http-server.wasm', String(port), '127.0.0.1']);
    await waitForHttp(port);
    const id = uniqueId('tcplisten-busy');
    started.push(id);
    const result = await containerd.ctr(['run', '-d', '--net-host', '--annotation', `io.containerd.wasmts.v1.tcplisten=127.0.0.1:${port}`, '--runtime', WASMTS_RUNTIME, TEST_IMAGES.tcplistenServer.reference, id]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`127.0.0.1:${port}`);
    expect(result.stderr).toMatch(/address already in use/i);
  });
});
