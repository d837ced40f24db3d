import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, httpGet } from '../support/net.js';
import { runCommand } from '../support/run-command.js';
import { TEST_IMAGES, uniqueId, useContainerd, WASMTS_RUNTIME } from '../support/rig.js';

const containerd = useContainerd();
const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function taskRow(id: string): Promise<{ pid: number; status: string } | undefined> {
  const out = await containerd.ctrOk(['task', 'ls']);
  for (const line of out.split('\n').slice(1)) {
    const [taskId, pid, status] = line.trim().split(/\s+/);
    if (taskId === id) return { pid: Number(pid), status: status ?? '' };
  }
  return undefined;
}

/** `ctr run -d` of the HTTP server on 127.0.0.1:port with extra ctr flags; removed after the test. */
async function runServer(prefix: string, port: number, flags: string[]): Promise<string> {
  const id = uniqueId(prefix);
  cleanups.push(async () => {
    await containerd.ctr(['task', 'kill', '-s', 'SIGKILL', id]);
    for (let i = 0; i < 100 && (await taskRow(id))?.status === 'RUNNING'; i++) await sleep(20);
    await containerd.ctr(['task', 'delete', id]);
    await containerd.ctr(['container', 'delete', id]);
  });
  await containerd.ctrOk(['run', '-d', ...flags, '--runtime', WASMTS_RUNTIME, TEST_IMAGES.httpServer.reference, id, '/http-server.wasm', String(port), '127.0.0.1']);
  return id;
}

/** curl run inside a network namespace (`ip netns exec NAME` or `nsenter --net=PATH`), retried while the guest starts. */
async function curlIn(enter: string[], port: number): Promise<string> {
  let last = '';
  for (let i = 0; i < 100; i++) {
    const result = await runCommand(enter[0] as string, [...enter.slice(1), 'curl', '-s', '--max-time', '2', `http://127.0.0.1:${port}/`]);
    if (result.code === 0) return result.stdout;
    last = `${result.code} ${result.stderr}`;
    await sleep(50);
  }
  throw new Error(`curl inside ${enter.join(' ')} failed: ${last}`);
}

async function refusedOnHost(port: number): Promise<boolean> {
  try {
    await httpGet(port, '127.0.0.1', 1_000);
    return false;
  } catch (error) {
    return (error as { code?: string }).code === 'ECONNREFUSED';
  }
}

describe('the guest network follows the OCI spec', () => {
  it('gives a plain ctr run a namespace of its own: reachable inside, not on the host loopback', async () => {
    const port = await freePort();
    const id = await runServer('netns-own', port, []);
    let row = await taskRow(id);
    for (let i = 0; i < 100 && row?.status !== 'RUNNING'; i++) row = (await sleep(20), await taskRow(id));
    // The task's pid is the guest's thread; its /proc entry names the namespace the daemon runs in.
    expect(await curlIn(['nsenter', `--net=/proc/${row?.pid}/ns/net`], port)).toBe('Hello, World!');
    expect(await refusedOnHost(port)).toBe(true);
  });

  it('keeps a guest in its own namespace away from services on the host loopback', async () => {
    const server = net.createServer((s) => s.end('host only'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const id = uniqueId('netns-client');
    const result = await containerd.ctr(['run', '--rm', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.tcpClient.reference, id, '/tcp-client.wasm', '127.0.0.1', String((server.address() as net.AddressInfo).port), 'x']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Connection refused');
  });

  it('joins the namespace the spec names by path (how pods arrive), and only that one', async () => {
    const name = `wasmts-test-${process.pid}-${Date.now() % 100000}`;
    await runCommand('ip', ['netns', 'add', name]).then((r) => expect(r.code, r.stderr).toBe(0));
    cleanups.push(() => runCommand('ip', ['netns', 'delete', name]));
    // As a CNI plugin would: the namespace's loopback up.
    await runCommand('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']).then((r) => expect(r.code, r.stderr).toBe(0));
    const port = await freePort();
    await runServer('netns-path', port, ['--with-ns', `network:/var/run/netns/${name}`]);
    expect(await curlIn(['ip', 'netns', 'exec', name], port)).toBe('Hello, World!');
    expect(await refusedOnHost(port)).toBe(true);
  });

  it('refuses a namespace path that does not exist, saying so', async () => {
    const id = uniqueId('netns-missing');
    cleanups.push(() => containerd.ctr(['container', 'delete', id]));
    const result = await containerd.ctr(['run', '-d', '--with-ns', 'network:/var/run/netns/wasmts-no-such-ns', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.httpServer.reference, id, '/http-server.wasm', '1']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('/var/run/netns/wasmts-no-such-ns');
  });
});
