import { spawn } from 'node:child_process';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { Errno } from '../../../src/wasi/errno.js';
import { echoOnce } from './fixtures/guests.js';
import { Probe, assemble } from './helpers.js';

const RUNNER = new URL('./fixtures/host-process.mjs', import.meta.url).pathname;

/** The fd behind a Node server or socket (to hand a duplicate to a child process). */
function fdOf(handleOwner: net.Server | net.Socket): number {
  return (handleOwner as unknown as { _handle: { fd: number } })._handle.fd;
}

/**
 * Runs a guest in a child process that receives `socketFd` as its fd 4 (a
 * duplicate: a raw socket fd, as the shim would hand over), listed in
 * WasiHostOptions.sockets.
 */
async function runWithSocket(wat: string, socketFd: number, listening: boolean): Promise<{ started: Promise<void>; exited: Promise<number> }> {
  const wasm = [...(await assemble(wat))];
  const config = { wasm, options: { args: ['g'], env: [], preopens: [], sockets: [{ fd: 4, listening }] } };
  const child = spawn(process.execPath, [RUNNER, JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc', socketFd] });
  let onStarted!: () => void;
  const started = new Promise<void>((resolve) => (onStarted = resolve));
  const exited = new Promise<number>((resolve, reject) => {
    child.on('message', (m: { type: string; code?: number }) => {
      if (m.type === 'started') onStarted();
      if (m.type === 'exit') resolve(m.code as number);
    });
    child.on('exit', (code) => reject(new Error(`runner exited with ${code} before reporting`)));
  });
  return { started, exited };
}

describe('sockets handed to the instance', () => {
  it('accepts a connection on a listening socket and echoes with sock_recv/sock_send/sock_shutdown', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const guest = await runWithSocket(echoOnce(true), fdOf(server), true);
    // Our copy must not accept: close it once the child holds its own.
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await guest.started;
    const client = net.connect(port, '127.0.0.1');
    client.end('ping over wasi');
    const chunks: Buffer[] = [];
    for await (const chunk of client) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('ping over wasi');
    expect(await guest.exited).toBe('ping over wasi'.length);
  });

  it('talks over a connected socket with sock_recv/sock_send', async () => {
    const server = net.createServer({ pauseOnConnect: true });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const client = net.connect(port, '127.0.0.1');
    const connection = await accepted;
    const guest = await runWithSocket(echoOnce(false), fdOf(connection), false);
    connection.destroy(); // closes only our duplicate
    server.close();
    await guest.started;
    client.end('hello socket');
    const chunks: Buffer[] = [];
    for await (const chunk of client) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('hello socket');
    expect(await guest.exited).toBe('hello socket'.length);
  });

  it('answers ENOTSOCK for socket calls on a file or pipe', async () => {
    const probe = await Probe.create();
    expect(await probe.call('sock_shutdown', 1, 2)).toBe(Errno.NOTSOCK);
    expect(await probe.call('sock_accept', 1, 0, 0)).toBe(Errno.NOTSOCK);
    expect(await probe.call('sock_recv', 0, 0, 0, 0, 0, 4)).toBe(Errno.NOTSOCK);
    expect(await probe.call('sock_send', 1, 0, 0, 0, 0)).toBe(Errno.NOTSOCK);
  });
});
