import dgram from 'node:dgram';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_IMAGES, uniqueId, useContainerd, WASMTS_RUNTIME } from '../support/rig.js';

const containerd = useContainerd();
const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A Node TCP server on loopback that answers `echo:<what it got>` once the client half-closes. */
async function echoServer(host: string): Promise<{ port: number; peers: string[] }> {
  const peers: string[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    peers.push(`${socket.remoteAddress}`);
    let got = '';
    socket.on('data', (chunk: Buffer) => (got += chunk.toString()));
    socket.on('end', () => socket.end(`echo:${got}`));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return { port: (server.address() as net.AddressInfo).port, peers };
}

describe('a wasm TCP client under ctr run --net-host', () => {
  it('resolves localhost with sock_getaddrinfo, connects out, and gets the reply', async () => {
    const { port, peers } = await echoServer('127.0.0.1');
    const id = uniqueId('tcp-client');
    const result = await containerd.ctr(['run', '--rm', '--net-host', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.tcpClient.reference, id, '/tcp-client.wasm', 'localhost', String(port), 'hello from wasm']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`connected to 127.0.0.1 port ${port}`);
    expect(result.stdout).toContain('reply: echo:hello from wasm');
    expect(peers).toEqual(['127.0.0.1']);
  });

  it('connects to an IPv6 loopback server by its literal address', async () => {
    const { port } = await echoServer('::1');
    const id = uniqueId('tcp-client6');
    const result = await containerd.ctr(['run', '--rm', '--net-host', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.tcpClient.reference, id, '/tcp-client.wasm', '::1', String(port), 'over v6']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`connected to 0:0:0:0:0:0:0:1 port ${port}`);
    expect(result.stdout).toContain('reply: echo:over v6');
  });

  it('fails with a message when nothing listens', async () => {
    const { port } = await echoServer('127.0.0.1');
    await cleanups.pop()?.();
    const id = uniqueId('tcp-client-refused');
    const result = await containerd.ctr(['run', '--rm', '--net-host', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.tcpClient.reference, id, '/tcp-client.wasm', '127.0.0.1', String(port), 'x']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/connect to 127\.0\.0\.1 port \d+: Connection refused/);
  });
});

describe('a wasm UDP echo server under ctr run --net-host', () => {
  it('echoes datagrams to a Node peer and exits 0 on quit', async () => {
    const peer = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => peer.bind(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => peer.close(() => resolve())));
    // A port for the guest: the kernel's pick on a socket we close at once.
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
    const port = probe.address().port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const id = uniqueId('udp-echo');
    const finished = containerd.ctr(['run', '--rm', '--net-host', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.udpEcho.reference, id, '/udp-echo.wasm', String(port), '127.0.0.1']);
    const replies: string[] = [];
    peer.on('message', (message, from) => {
      expect(from.port).toBe(port);
      replies.push(message.toString());
    });
    // Datagrams sent before the guest binds are lost, as with any UDP server: repeat until one comes back.
    const deadline = Date.now() + 10_000;
    while (replies.length === 0 && Date.now() < deadline) {
      peer.send('ping', port, '127.0.0.1');
      await sleep(100);
    }
    expect(replies[0]).toBe('ping');
    for (const text of ['one', 'two', 'three']) peer.send(text, port, '127.0.0.1');
    while (replies.filter((r) => r !== 'ping').length < 3 && Date.now() < deadline) await sleep(20);
    expect(replies.filter((r) => r !== 'ping')).toEqual(['one', 'two', 'three']);
    peer.send('quit', port, '127.0.0.1');
    const result = await finished;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`udp echo on 127.0.0.1:${port}`);
    expect(result.stdout).toMatch(new RegExp(`from 127\\.0\\.0\\.1:${peer.address().port}: one`));
  });
});
