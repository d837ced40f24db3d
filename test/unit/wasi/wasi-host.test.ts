import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SIGNATURES, WasiHost } from '../../../src/wasi/index.js';
import { WASMEDGE_SOCKET_SIGNATURES } from '../../../src/wasi/wasmedge-sockets.js';
import { CAT, TRAP, exitWith, hello } from './fixtures/guests.js';
import { Probe, assemble, fifoFromWriter, fifoToCollector, runModule, runWat, tempDir } from './helpers.js';

describe('WasiHost exit status', () => {
  it('resolves to the code given to proc_exit', async () => {
    expect((await runWat(exitWith(42))).code).toBe(42);
  });

  it('resolves to 0 when _start returns', async () => {
    const result = await runWat(hello('hi\n'));
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('hi\n');
  });

  it('resolves to 134 on a trap and writes "wasm trap:" with the function name to stderr', async () => {
    const result = await runModule(await assemble(TRAP, { names: true }));
    expect(result.code).toBe(134);
    expect(result.stderr).toMatch(/^wasm trap: unreachable/);
    expect(result.stderr).toContain('boom');
  });

  it('refuses a module without _start', async () => {
    const host = new WasiHost({ args: [], env: [], preopens: [] });
    const { instance } = await WebAssembly.instantiate(await assemble('(module (memory (export "memory") 1))'), host.importObject());
    await expect(host.start(instance)).rejects.toThrow(/_start/);
    await host.close();
  });
});

describe('WasiHost imports', () => {
  it('provides every preview 1 function, waiting ones as WebAssembly.Suspending', () => {
    const host = new WasiHost({ args: [], env: [], preopens: [] });
    const table = host.importObject().wasi_snapshot_preview1 as Record<string, unknown>;
    const extension = WASMEDGE_SOCKET_SIGNATURES.map((s) => s.name);
    expect(Object.keys(table).sort()).toEqual([...new Set([...Object.keys(SIGNATURES), ...extension])].sort());
    expect(table.sock_accept).toBeInstanceOf((WebAssembly as unknown as { Suspending: new (f: unknown) => object }).Suspending);
    const Suspending = (WebAssembly as unknown as { Suspending: new (f: unknown) => object }).Suspending;
    expect(table.fd_read).toBeInstanceOf(Suspending);
    expect(table.poll_oneoff).toBeInstanceOf(Suspending);
    expect(typeof table.clock_time_get).toBe('function');
    void host.close();
  });

  it('lists its imports with their wasm types', () => {
    const provided = WasiHost.providedImports();
    // Preview 1, plus WasmEdge's socket extension (sock_accept & co. in both of their forms).
    expect(provided.filter((p) => SIGNATURES[p.name] !== undefined && SIGNATURES[p.name]?.length === p.params.length)).toHaveLength(Object.keys(SIGNATURES).length);
    expect(provided).toContainEqual({ module: 'wasi_snapshot_preview1', name: 'sock_accept', params: ['i32', 'i32'], results: ['i32'] });
    expect(provided).toContainEqual({ module: 'wasi_snapshot_preview1', name: 'sock_accept', params: ['i32', 'i32', 'i32'], results: ['i32'] });
    expect(provided).toContainEqual({ module: 'wasi_snapshot_preview1', name: 'proc_exit', params: ['i32'], results: [] });
    expect(provided).toContainEqual({ module: 'wasi_snapshot_preview1', name: 'clock_time_get', params: ['i32', 'i64', 'i32'], results: ['i32'] });
  });
});

describe('WasiHost stdio', () => {
  it('writes stdout to a FIFO and flushes it on close', async () => {
    const dir = tempDir();
    const out = fifoToCollector(dir);
    const result = await runWat(hello('through a fifo\n'), { stdout: out.writeFd });
    expect(result.code).toBe(0);
    expect((await out.collected()).toString()).toBe('through a fifo\n');
  });

  it('writes stdout to a regular file, appending after what is already there', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'log');
    fs.writeFileSync(file, 'before\n');
    const fd = fs.openSync(file, 'a');
    await runWat(hello('after\n'), { stdout: fd });
    expect(fs.readFileSync(file, 'utf8')).toBe('before\nafter\n');
  });

  it('writes stdout to /dev/null', async () => {
    const result = await runWat(hello('gone\n'), { stdout: fs.openSync('/dev/null', 'w') });
    expect(result.code).toBe(0);
  });

  it('treats missing stdio like /dev/null: reads see EOF and writes succeed', async () => {
    const host = new WasiHost({ args: [], env: [], preopens: [] });
    const { instance } = await WebAssembly.instantiate(await assemble(CAT), host.importObject());
    expect(await host.start(instance)).toBe(0);
    await host.close();
  });

  it('copies stdin from a regular file to stdout', async () => {
    const result = await runWat(CAT, { stdinText: 'line one\nline two\n' });
    expect(result).toMatchObject({ code: 0, stdout: 'line one\nline two\n' });
  });

  it('reads every byte from a stdin FIFO until EOF, waiting for slow writes', async () => {
    const dir = tempDir();
    const input = fifoFromWriter(dir);
    const out = fifoToCollector(dir);
    const host = new WasiHost({ args: [], env: [], preopens: [], stdin: input.readFd, stdout: out.writeFd });
    const { instance } = await WebAssembly.instantiate(await assemble(CAT), host.importObject());
    const running = host.start(instance);
    for (let i = 0; i < 5; i++) {
      input.writer.write(`chunk ${i}\n`);
      await new Promise((r) => setTimeout(r, 10));
    }
    input.writer.end();
    expect(await running).toBe(0);
    await host.close();
    expect((await out.collected()).toString()).toBe([0, 1, 2, 3, 4].map((i) => `chunk ${i}\n`).join(''));
  });

  it('closes the preopens and every fd the guest left open in close()', async () => {
    const rootfs = tempDir('wasi-close-');
    fs.writeFileSync(path.join(rootfs, 'f'), 'x');
    const probe = await Probe.create({ preopens: [{ guestPath: '/', hostPath: rootfs }] });
    expect((await probe.open(3, '.', { oflags: 2 }))[0]).toBe(0);
    expect((await probe.open(3, '.', { oflags: 2 }))[0]).toBe(0);
    const openUnder = (): number =>
      fs.readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith(rootfs);
        } catch {
          return false;
        }
      }).length;
    expect(openUnder()).toBe(3);
    await probe.host.close();
    expect(openUnder()).toBe(0);
  });

  it('owns the stdio fds it is given and closes them in close()', async () => {
    const dir = tempDir();
    const fd = fs.openSync(path.join(dir, 'out'), 'w');
    const host = new WasiHost({ args: [], env: [], preopens: [], stdout: fd });
    await host.close();
    expect(() => fs.fstatSync(fd)).toThrow(/EBADF/);
  });
});
