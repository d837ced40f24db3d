import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Errno } from '../../../src/wasi/errno.js';
import { WasiHost } from '../../../src/wasi/index.js';
import { assemble } from './helpers.js';

/**
 * A module importing WasmEdge's socket calls (both forms where they differ,
 * under aliases) plus poll_oneoff/fd_* and exporting a trampoline for each,
 * so the tests drive the host through the real wasm boundary and JSPI.
 */
const IMPORTS: [alias: string, name: string, arity: number][] = [
  ['sock_open', 'sock_open', 3],
  ['sock_bind', 'sock_bind', 3],
  ['sock_connect', 'sock_connect', 3],
  ['sock_listen', 'sock_listen', 2],
  ['sock_accept_v1', 'sock_accept', 2],
  ['sock_accept', 'sock_accept', 3],
  ['sock_recv', 'sock_recv', 6],
  ['sock_recv_from_v1', 'sock_recv_from', 7],
  ['sock_recv_from', 'sock_recv_from', 8],
  ['sock_send', 'sock_send', 5],
  ['sock_send_to', 'sock_send_to', 7],
  ['sock_shutdown', 'sock_shutdown', 2],
  ['sock_getsockopt', 'sock_getsockopt', 5],
  ['sock_setsockopt', 'sock_setsockopt', 5],
  ['sock_getlocaladdr_v1', 'sock_getlocaladdr', 4],
  ['sock_getlocaladdr', 'sock_getlocaladdr', 3],
  ['sock_getpeeraddr_v1', 'sock_getpeeraddr', 4],
  ['sock_getaddrinfo', 'sock_getaddrinfo', 8],
  ['fd_close', 'fd_close', 1],
  ['fd_fdstat_set_flags', 'fd_fdstat_set_flags', 2],
  ['fd_fdstat_get', 'fd_fdstat_get', 2],
];

class SocketProbe {
  readonly host: WasiHost;
  readonly memory: WebAssembly.Memory;
  readonly #exports: Record<string, (...args: unknown[]) => Promise<unknown>>;

  private constructor(host: WasiHost, memory: WebAssembly.Memory, exports: Record<string, (...args: unknown[]) => Promise<unknown>>) {
    this.host = host;
    this.memory = memory;
    this.#exports = exports;
  }

  static async create(): Promise<SocketProbe> {
    const host = new WasiHost({ args: ['probe'], env: [], preopens: [] });
    const parts = IMPORTS.map(([alias, name, arity]) => {
      const p = ' (param i32)'.repeat(arity);
      const gets = Array.from({ length: arity }, (_, i) => `(local.get ${i})`).join(' ');
      return {
        imp: `(import "wasi_snapshot_preview1" "${name}" (func $${alias}${p} (result i32)))`,
        fn: `(func (export "t_${alias}")${p} (result i32) (call $${alias} ${gets}))`,
      };
    });
    parts.push({
      imp: '(import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))',
      fn: '(func (export "t_poll_oneoff") (param i32 i32 i32 i32) (result i32) (call $poll_oneoff (local.get 0) (local.get 1) (local.get 2) (local.get 3)))',
    });
    const wat = `(module ${parts.map((p) => p.imp).join('\n')}
      (memory (export "memory") 2) (func (export "_start"))
      ${parts.map((p) => p.fn).join('\n')})`;
    const { instance } = await WebAssembly.instantiate(await assemble(wat), host.importObject());
    await host.start(instance);
    const promising = (WebAssembly as unknown as { promising(f: unknown): (...a: unknown[]) => Promise<unknown> }).promising;
    const wrapped: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
    for (const [name, fn] of Object.entries(instance.exports)) if (typeof fn === 'function') wrapped[name] = promising(fn);
    return new SocketProbe(host, instance.exports.memory as WebAssembly.Memory, wrapped);
  }

  async call(alias: string, ...args: number[]): Promise<number> {
    const fn = this.#exports[`t_${alias}`];
    if (fn === undefined) throw new Error(`no import ${alias}`);
    return (await fn(...args)) as number;
  }

  get view(): DataView {
    return new DataView(this.memory.buffer);
  }
  u16(p: number): number {
    return this.view.getUint16(p, true);
  }
  u32(p: number): number {
    return this.view.getUint32(p, true);
  }
  setU32(p: number, v: number): void {
    this.view.setUint32(p, v, true);
  }
  bytes(p: number, n: number): Buffer {
    return Buffer.from(new Uint8Array(this.memory.buffer, p, n));
  }
  put(p: number, data: string | Uint8Array): number {
    const b = typeof data === 'string' ? Buffer.from(data) : data;
    new Uint8Array(this.memory.buffer).set(b, p);
    return b.length;
  }

  /** An address record at `record` pointing at `ip` bytes stored at record+8. */
  address(record: number, ip: number[] | number): number {
    const bytes = typeof ip === 'number' ? new Uint8Array(ip) : Uint8Array.from(ip);
    this.put(record + 8, bytes);
    this.setU32(record, record + 8);
    this.setU32(record + 4, bytes.length);
    return record;
  }

  /** sock_open; resolves to the new fd. */
  async open(af: number, type: number): Promise<number> {
    expect(await this.call('sock_open', af, type, 0x10)).toBe(0);
    return this.u32(0x10);
  }

  async localPort(fd: number): Promise<number> {
    this.address(0x200, 16);
    expect(await this.call('sock_getlocaladdr_v1', fd, 0x200, 0x20, 0x24)).toBe(0);
    return this.u32(0x24);
  }

  async send(fd: number, text: string): Promise<[number, number]> {
    const len = this.put(0x4000, text);
    this.setU32(0x100, 0x4000);
    this.setU32(0x104, len);
    const errno = await this.call('sock_send', fd, 0x100, 1, 0, 0x30);
    return [errno, this.u32(0x30)];
  }

  async recv(fd: number, max = 4096, flags = 0): Promise<[number, string]> {
    this.setU32(0x100, 0x8000);
    this.setU32(0x104, max);
    const errno = await this.call('sock_recv', fd, 0x100, 1, flags, 0x30, 0x34);
    return [errno, errno === 0 ? this.bytes(0x8000, this.u32(0x30)).toString() : ''];
  }

  /** A listening TCP socket on 127.0.0.1 with a free port: [fd, port]. */
  async listener(): Promise<[number, number]> {
    const fd = await this.open(1, 2);
    expect(await this.call('sock_bind', fd, this.address(0x200, [127, 0, 0, 1]), 0)).toBe(0);
    expect(await this.call('sock_listen', fd, 16)).toBe(0);
    return [fd, await this.localPort(fd)];
  }
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function collect(socket: net.Socket): Promise<string> {
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve) => socket.on('end', () => resolve(Buffer.concat(chunks).toString())));
}

async function probe(): Promise<SocketProbe> {
  const p = await SocketProbe.create();
  cleanups.push(() => p.host.close());
  return p;
}

describe('WasmEdge sockets: TCP', () => {
  it('listens, accepts with the 2-argument V1 sock_accept, and echoes to a Node client', async () => {
    const p = await probe();
    const [fd, port] = await p.listener();
    expect(port).toBeGreaterThan(0);
    const client = net.connect(port, '127.0.0.1');
    const reply = collect(client);
    client.write('ping');
    expect(await p.call('sock_accept_v1', fd, 0x14)).toBe(0);
    const conn = p.u32(0x14);
    expect(await p.recv(conn)).toEqual([0, 'ping']);
    expect(await p.send(conn, 'pong')).toEqual([0, 4]);
    expect(await p.call('fd_close', conn)).toBe(0);
    expect(await reply).toBe('pong');
    client.destroy();
  });

  it('gives the peer address with V1 sock_getpeeraddr (type 4, port in host order)', async () => {
    const p = await probe();
    const [fd, port] = await p.listener();
    const client = net.connect(port, '127.0.0.1');
    await new Promise((r) => client.once('connect', r));
    expect(await p.call('sock_accept_v1', fd, 0x14)).toBe(0);
    p.address(0x200, 4);
    expect(await p.call('sock_getpeeraddr_v1', p.u32(0x14), 0x200, 0x20, 0x24)).toBe(0);
    expect([...p.bytes(0x208, 4)]).toEqual([127, 0, 0, 1]);
    expect(p.u32(0x20)).toBe(4);
    expect(p.u32(0x24)).toBe(client.localPort);
    client.destroy();
  });

  it('reports the local address as an address storage with V2 sock_getlocaladdr', async () => {
    const p = await probe();
    const [fd, port] = await p.listener();
    p.address(0x200, 128);
    expect(await p.call('sock_getlocaladdr', fd, 0x200, 0x24)).toBe(0);
    expect(p.u16(0x208)).toBe(1);
    expect([...p.bytes(0x20a, 4)]).toEqual([127, 0, 0, 1]);
    expect(p.u32(0x24)).toBe(port);
    // V1 refuses a storage, V2 refuses raw bytes.
    expect(await p.call('sock_getlocaladdr_v1', fd, 0x200, 0x20, 0x24)).toBe(Errno.INVAL);
    p.address(0x200, 4);
    expect(await p.call('sock_getlocaladdr', fd, 0x200, 0x24)).toBe(Errno.INVAL);
  });

  it('connects out to a Node server, blocking, over IPv6 loopback', async () => {
    const server = net.createServer((s) => s.end('hello v6'));
    await new Promise<void>((r) => server.listen(0, '::1', r));
    cleanups.push(() => server.close());
    const p = await probe();
    const fd = await p.open(2, 2);
    const ip = [...new Array(15).fill(0), 1];
    expect(await p.call('sock_connect', fd, p.address(0x200, ip), (server.address() as net.AddressInfo).port)).toBe(0);
    expect(await p.recv(fd)).toEqual([0, 'hello v6']);
    expect(await p.recv(fd)).toEqual([0, '']);
    expect(await p.call('fd_close', fd)).toBe(0);
  });

  it('refuses a connection to a closed port with ECONNREFUSED', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as net.AddressInfo;
    await new Promise((r) => server.close(r));
    const p = await probe();
    const fd = await p.open(1, 2);
    expect(await p.call('sock_connect', fd, p.address(0x200, [127, 0, 0, 1]), port)).toBe(Errno.CONNREFUSED);
  });

  it('connects without blocking: EINPROGRESS, writable through poll_oneoff, then SO_ERROR 0', async () => {
    const server = net.createServer((s) => s.end('nb'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => server.close());
    const p = await probe();
    const fd = await p.open(1, 2);
    expect(await p.call('fd_fdstat_set_flags', fd, 4)).toBe(0);
    expect(await p.call('sock_connect', fd, p.address(0x200, [127, 0, 0, 1]), (server.address() as net.AddressInfo).port)).toBe(Errno.INPROGRESS);
    // One fd_write subscription (userdata 7) at 0x1000, events at 0x1100.
    new Uint8Array(p.memory.buffer, 0x1000, 48).fill(0);
    p.view.setBigUint64(0x1000, 7n, true);
    p.view.setUint8(0x1008, 2);
    p.setU32(0x1010, fd);
    expect(await p.call('poll_oneoff', 0x1000, 0x1100, 1, 0x40)).toBe(0);
    expect(p.u32(0x40)).toBe(1);
    expect(p.view.getBigUint64(0x1100, true)).toBe(7n);
    p.setU32(0x44, 4);
    expect(await p.call('sock_getsockopt', fd, 0, 2, 0x48, 0x44)).toBe(0);
    expect(p.u32(0x48)).toBe(0);
    // Nothing to read yet or already there: a non-blocking recv never waits.
    let [errno, text] = await p.recv(fd);
    while (errno === Errno.AGAIN) {
      await new Promise((r) => setTimeout(r, 5));
      [errno, text] = await p.recv(fd);
    }
    expect([errno, text]).toEqual([0, 'nb']);
  });

  it('answers EAGAIN from a non-blocking accept with nothing queued, and reports readiness when a client comes', async () => {
    const p = await probe();
    const [fd, port] = await p.listener();
    expect(await p.call('fd_fdstat_set_flags', fd, 4)).toBe(0);
    expect(await p.call('sock_accept', fd, 4, 0x14)).toBe(Errno.AGAIN);
    new Uint8Array(p.memory.buffer, 0x1000, 48).fill(0);
    p.view.setUint8(0x1008, 1);
    p.setU32(0x1010, fd);
    const polled = p.call('poll_oneoff', 0x1000, 0x1100, 1, 0x40);
    const client = net.connect(port, '127.0.0.1');
    expect(await polled).toBe(0);
    expect(await p.call('sock_accept', fd, 4, 0x14)).toBe(0);
    const conn = p.u32(0x14);
    expect(await p.call('fd_fdstat_get', conn, 0x300)).toBe(0);
    expect(p.view.getUint8(0x300)).toBe(6); // SOCKET_STREAM
    expect(p.u16(0x302)).toBe(4); // NONBLOCK, from the accept flags
    expect((await p.recv(conn))[0]).toBe(Errno.AGAIN);
    client.destroy();
  });

  it('reports a bind to an address in use from sock_listen as EADDRINUSE', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => server.close());
    const p = await probe();
    const fd = await p.open(1, 2);
    expect(await p.call('sock_bind', fd, p.address(0x200, [127, 0, 0, 1]), (server.address() as net.AddressInfo).port)).toBe(0);
    expect(await p.call('sock_listen', fd, 16)).toBe(Errno.ADDRINUSE);
  });

  it('frees the port when the guest closes the listener', async () => {
    const p = await probe();
    const [fd, port] = await p.listener();
    expect(await p.call('fd_close', fd)).toBe(0);
    await new Promise((r) => setTimeout(r, 20));
    const again = net.createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen(port, '127.0.0.1', resolve);
    });
    again.close();
  });

  it('rejects an unknown family, socket type or option level', async () => {
    const p = await probe();
    expect(await p.call('sock_open', 0, 2, 0x10)).toBe(Errno.INVAL);
    expect(await p.call('sock_open', 3, 2, 0x10)).toBe(Errno.NOSYS);
    expect(await p.call('sock_open', 1, 0, 0x10)).toBe(Errno.INVAL);
    const fd = await p.open(1, 2);
    p.setU32(0x48, 1);
    expect(await p.call('sock_setsockopt', fd, 0, 0, 0x48, 4)).toBe(0);
    expect(await p.call('sock_setsockopt', fd, 6, 1, 0x48, 4)).toBe(Errno.INVAL);
    p.setU32(0x44, 4);
    expect(await p.call('sock_getsockopt', fd, 0, 1, 0x48, 0x44)).toBe(0);
    expect(p.u32(0x48)).toBe(2); // SOCK_STREAM
    expect(await p.call('sock_getsockopt', 1, 0, 1, 0x48, 0x44)).toBe(Errno.NOTSOCK);
  });

  it('times a blocking recv out with SO_RCVTIMEO', async () => {
    const p = await probe();
    const [fd, port] = await p.listener();
    const client = net.connect(port, '127.0.0.1');
    expect(await p.call('sock_accept', fd, 0, 0x14)).toBe(0);
    const conn = p.u32(0x14);
    new Uint8Array(p.memory.buffer, 0x48, 16).fill(0);
    p.view.setBigInt64(0x50, 50_000n, true); // 50 ms
    expect(await p.call('sock_setsockopt', conn, 0, 11, 0x48, 16)).toBe(0);
    const before = performance.now();
    expect((await p.recv(conn))[0]).toBe(Errno.AGAIN);
    expect(performance.now() - before).toBeGreaterThanOrEqual(45);
    client.destroy();
  });
});

describe('WasmEdge sockets: UDP', () => {
  it('receives with V2 sock_recv_from (address storage, port) and answers with sock_send_to', async () => {
    const p = await probe();
    const fd = await p.open(1, 1);
    expect(await p.call('sock_bind', fd, p.address(0x200, [127, 0, 0, 1]), 0)).toBe(0);
    const port = await p.localPort(fd);
    const peer = dgram.createSocket('udp4');
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', r));
    cleanups.push(() => peer.close());
    const answer = new Promise<string>((r) => peer.once('message', (m) => r(m.toString())));
    peer.send('marco', port, '127.0.0.1');
    p.setU32(0x100, 0x8000);
    p.setU32(0x104, 64);
    p.address(0x200, 128);
    expect(await p.call('sock_recv_from', fd, 0x100, 1, 0x200, 0, 0x28, 0x30, 0x34)).toBe(0);
    expect(p.bytes(0x8000, p.u32(0x30)).toString()).toBe('marco');
    expect(p.u16(0x208)).toBe(1);
    expect([...p.bytes(0x20a, 4)]).toEqual([127, 0, 0, 1]);
    expect(p.u16(0x28)).toBe(peer.address().port);
    const len = p.put(0x4000, 'polo');
    p.setU32(0x100, 0x4000);
    p.setU32(0x104, len);
    p.address(0x300, [127, 0, 0, 1]);
    expect(await p.call('sock_send_to', fd, 0x100, 1, 0x300, peer.address().port, 0, 0x30)).toBe(0);
    expect(await answer).toBe('polo');
  });

  it('fills a raw 4-byte address with V1 sock_recv_from and flags a truncated datagram', async () => {
    const p = await probe();
    const fd = await p.open(1, 1);
    expect(await p.call('sock_bind', fd, p.address(0x200, [127, 0, 0, 1]), 0)).toBe(0);
    const port = await p.localPort(fd);
    const peer = dgram.createSocket('udp4');
    cleanups.push(() => peer.close());
    peer.send('a long datagram', port, '127.0.0.1');
    p.setU32(0x100, 0x8000);
    p.setU32(0x104, 6);
    p.address(0x200, 4);
    expect(await p.call('sock_recv_from_v1', fd, 0x100, 1, 0x200, 0, 0x30, 0x34)).toBe(0);
    expect(p.bytes(0x8000, p.u32(0x30)).toString()).toBe('a long');
    expect(p.u16(0x34)).toBe(1);
    expect([...p.bytes(0x208, 4)]).toEqual([127, 0, 0, 1]);
  });
});

describe('WasmEdge sockets: readiness through poll_oneoff', () => {
  /** Subscriptions at 0x1000: fd_read on each fd (userdata = index), then an optional relative clock. */
  function subscribe(p: SocketProbe, fds: number[], clockNs?: bigint): number {
    const n = fds.length + (clockNs === undefined ? 0 : 1);
    new Uint8Array(p.memory.buffer, 0x1000, n * 48).fill(0);
    fds.forEach((fd, i) => {
      p.view.setBigUint64(0x1000 + i * 48, BigInt(i), true);
      p.view.setUint8(0x1000 + i * 48 + 8, 1);
      p.setU32(0x1000 + i * 48 + 16, fd);
    });
    if (clockNs !== undefined) {
      const base = 0x1000 + fds.length * 48;
      p.view.setBigUint64(base, 999n, true);
      p.view.setUint8(base + 8, 0);
      p.setU32(base + 16, 1); // monotonic
      p.view.setBigUint64(base + 24, clockNs, true);
    }
    return n;
  }

  it('wakes for the one socket of many that receives, after polls that timed out on all of them', async () => {
    const p = await probe();
    const fds: number[] = [];
    for (let i = 0; i < 20; i++) {
      const fd = await p.open(1, 1);
      expect(await p.call('sock_bind', fd, p.address(0x200, [127, 0, 0, 1]), 0)).toBe(0);
      fds.push(fd);
    }
    for (let i = 0; i < 5; i++) {
      expect(await p.call('poll_oneoff', 0x1000, 0x2000, subscribe(p, fds, 1_000_000n), 0x40)).toBe(0);
      expect(p.u32(0x40)).toBe(1);
      expect(p.view.getBigUint64(0x2000, true)).toBe(999n);
    }
    const target = 13;
    const port = await p.localPort(fds[target] as number);
    const polled = p.call('poll_oneoff', 0x1000, 0x2000, subscribe(p, fds), 0x40);
    const peer = dgram.createSocket('udp4');
    cleanups.push(() => peer.close());
    peer.send('wake', port, '127.0.0.1');
    expect(await polled).toBe(0);
    expect(p.u32(0x40)).toBe(1);
    expect(p.view.getBigUint64(0x2000, true)).toBe(BigInt(target));
    expect(p.view.getBigUint64(0x2000 + 16, true)).toBe(4n); // nbytes: the datagram's size
  });
});

describe('WasmEdge sockets: sock_getaddrinfo', () => {
  /** A preallocated list of `n` addrinfo records (28 bytes) with sockaddrs (12) and 26-byte sa_data buffers. */
  function prepareList(p: SocketProbe, n: number): void {
    const base = 0x6000;
    for (let i = 0; i < n; i++) {
      const record = base + i * 80;
      new Uint8Array(p.memory.buffer, record, 80).fill(0);
      p.setU32(record + 12, record + 28); // ai_addr
      p.setU32(record + 24, i + 1 < n ? record + 80 : 0); // ai_next
      p.setU32(record + 28 + 4, 26); // sa_data_len
      p.setU32(record + 28 + 8, record + 40); // sa_data
    }
    p.setU32(0x5ff0, base);
  }

  it('resolves localhost to loopback addresses with the port in sa_data', async () => {
    const p = await probe();
    const node = p.put(0x5000, 'localhost');
    const service = p.put(0x5100, '8080');
    new Uint8Array(p.memory.buffer, 0x5200, 28).fill(0);
    p.view.setUint8(0x5203, 2); // SOCK_STREAM
    prepareList(p, 4);
    expect(await p.call('sock_getaddrinfo', 0x5000, node, 0x5100, service, 0x5200, 0x5ff0, 4, 0x5ff4)).toBe(0);
    const count = p.u32(0x5ff4);
    expect(count).toBeGreaterThan(0);
    const found: string[] = [];
    for (let i = 0; i < count; i++) {
      const record = 0x6000 + i * 80;
      const family = p.view.getUint8(record + 2);
      expect(p.view.getUint8(record + 3)).toBe(2);
      const data = p.bytes(record + 40, 26);
      expect(data.readUInt16BE(0)).toBe(8080);
      found.push(family === 1 ? [...data.subarray(2, 6)].join('.') : data.subarray(6, 22).toString('hex'));
    }
    expect(found.some((a) => a === '127.0.0.1' || a === '00000000000000000000000000000001')).toBe(true);
  });

  it('says AINONAME for a name that does not resolve', async () => {
    const p = await probe();
    const node = p.put(0x5000, 'no-such-host.invalid');
    new Uint8Array(p.memory.buffer, 0x5200, 28).fill(0);
    prepareList(p, 2);
    expect(await p.call('sock_getaddrinfo', 0x5000, node, 0x5100, 0, 0x5200, 0x5ff0, 2, 0x5ff4)).toBe(84);
  });
});
