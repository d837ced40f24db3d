import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { SIGNATURES, WasiHost, type WasiHostOptions } from '../../../src/wasi/index.js';

/** fd_write | fd_allocate | fd_filestat_set_size (witx `$rights`). */
const DIRECTORY_WRITE_RIGHTS = (1n << 6n) | (1n << 8n) | (1n << 22n);

type Wabt = { parseWat(name: string, text: string, features?: object): { toBinary(o: object): { buffer: Uint8Array }; destroy(): void } };
let wabt: Promise<Wabt> | undefined;

/** Assembles WebAssembly text in-process. */
export async function assemble(wat: string, options: { names?: boolean } = {}): Promise<Uint8Array> {
  wabt ??= import('wabt').then((m) => (m.default as unknown as () => Promise<Wabt>)());
  const module = (await wabt).parseWat('fixture.wat', wat);
  try {
    return module.toBinary({ write_debug_names: options.names ?? false }).buffer;
  } finally {
    module.destroy();
  }
}

export function tempDir(prefix = 'wasi-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A FIFO with both ends open: `writeFd` to hand to the host, `reader` collecting what arrives. */
export function fifoToCollector(
  dir: string,
  name = 'out.fifo',
  { retain = true }: { retain?: boolean } = {},
): { writeFd: number; collected: () => Promise<Buffer>; reader: net.Socket } {
  const file = path.join(dir, name);
  execFileSync('mkfifo', [file]);
  const readFd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const writeFd = fs.openSync(file, fs.constants.O_WRONLY);
  const reader = new net.Socket({ fd: readFd, readable: true, writable: false });
  const chunks: Buffer[] = [];
  if (retain) reader.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<Buffer>((resolve) => reader.on('end', () => resolve(Buffer.concat(chunks))));
  return { writeFd, collected: () => ended, reader };
}

/** The reader of fifoWithIdleReader: holds the FIFO open, reads only after "go", echoes what it read. */
const IDLE_READER = `
const fs = require('node:fs');
const fd = fs.openSync(process.argv[1], fs.constants.O_RDONLY);
process.stdin.once('data', () => {
  process.stdin.destroy();
  fs.createReadStream('', { fd }).pipe(process.stdout);
});
`;

/**
 * A FIFO read by another process that takes nothing until told to, so bytes stay
 * in the pipe (a paused net.Socket would still read ahead, and a reader in this
 * process would not count as a client: see hasOtherReader). After
 * `startReading()` it reads everything as it comes; `received()` resolves with
 * it all once the writers are closed.
 */
export function fifoWithIdleReader(dir: string, name = 'idle.fifo'): { writeFd: number; startReading: () => void; received: () => Promise<Buffer>; close: () => void } {
  const file = path.join(dir, name);
  execFileSync('mkfifo', [file]);
  const reader = spawn(process.execPath, ['-e', IDLE_READER, file], { stdio: ['pipe', 'pipe', 'inherit'] });
  // Blocks until the reader has opened its end.
  const writeFd = fs.openSync(file, fs.constants.O_WRONLY);
  const chunks: Buffer[] = [];
  reader.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<Buffer>((resolve) => reader.once('close', () => resolve(Buffer.concat(chunks))));
  let started = false;
  return {
    writeFd,
    startReading: () => {
      if (started) return;
      started = true;
      reader.stdin.write('go\n');
    },
    received: () => ended,
    close: () => {
      reader.kill('SIGKILL');
    },
  };
}

/** A FIFO whose read end goes to the host; the test writes with `writer`. */
export function fifoFromWriter(dir: string, name = 'in.fifo'): { readFd: number; writer: net.Socket } {
  const file = path.join(dir, name);
  execFileSync('mkfifo', [file]);
  const readFd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const writeFd = fs.openSync(file, fs.constants.O_WRONLY);
  return { readFd, writer: new net.Socket({ fd: writeFd, readable: false, writable: true }) };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command module with stdout/stderr captured in files, and stdin from
 * `stdinText` (a file) when given.
 */
export async function runModule(binary: Uint8Array, options: Partial<WasiHostOptions> & { stdinText?: string } = {}): Promise<RunResult> {
  const dir = tempDir('wasi-run-');
  const outPath = path.join(dir, 'stdout');
  const errPath = path.join(dir, 'stderr');
  let stdin = options.stdin;
  if (options.stdinText !== undefined) {
    fs.writeFileSync(path.join(dir, 'stdin'), options.stdinText);
    stdin = fs.openSync(path.join(dir, 'stdin'), 'r');
  }
  const host = new WasiHost({
    args: ['guest'],
    env: [],
    preopens: [],
    ...options,
    stdin,
    stdout: options.stdout ?? fs.openSync(outPath, 'w'),
    stderr: options.stderr ?? fs.openSync(errPath, 'w'),
  });
  const { instance } = await WebAssembly.instantiate(binary, host.importObject());
  const code = await host.start(instance);
  await host.close();
  const read = (p: string): string => (fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : '');
  return { code, stdout: read(outPath), stderr: read(errPath) };
}

export async function runWat(wat: string, options: Partial<WasiHostOptions> & { stdinText?: string } = {}): Promise<RunResult> {
  return runModule(await assemble(wat), options);
}

/**
 * A module that imports every preview 1 function and exports a trampoline
 * `t_<name>` for each, so tests call the host through the real wasm boundary
 * (signed i32s, BigInt i64s, JSPI) and inspect memory afterwards.
 */
export class Probe {
  private constructor(
    readonly host: WasiHost,
    readonly memory: WebAssembly.Memory,
    private readonly exports: Record<string, (...args: unknown[]) => unknown>,
  ) {}

  static async create(options: Partial<WasiHostOptions> = {}): Promise<Probe> {
    const host = new WasiHost({ args: ['probe'], env: [], preopens: [], ...options });
    const lines: string[] = [];
    for (const [name, params] of Object.entries(SIGNATURES)) {
      const result = name === 'proc_exit' ? '' : '(result i32)';
      const p = params.map((t) => `(param ${t})`).join(' ');
      const gets = params.map((_, i) => `(local.get ${i})`).join(' ');
      lines.push(`(import "wasi_snapshot_preview1" "${name}" (func $${name} ${p} ${result}))`);
      lines.push(`(func (export "t_${name}") ${p} ${result} (call $${name} ${gets}))`);
    }
    const wat = `(module ${lines.filter((l) => l.startsWith('(import')).join('\n')}
      (memory (export "memory") 2)
      (func (export "_start"))
      ${lines.filter((l) => !l.startsWith('(import')).join('\n')})`;
    const { instance } = await WebAssembly.instantiate(await assemble(wat), host.importObject());
    await host.start(instance);
    const wrapped: Record<string, (...args: unknown[]) => unknown> = {};
    const promising = (WebAssembly as unknown as { promising(f: unknown): (...a: unknown[]) => Promise<unknown> }).promising;
    for (const [name, fn] of Object.entries(instance.exports)) {
      if (typeof fn === 'function') wrapped[name] = promising(fn);
    }
    return new Probe(host, instance.exports.memory as WebAssembly.Memory, wrapped);
  }

  /** Calls import `name` through its trampoline; resolves to its errno. */
  async call(name: string, ...args: (number | bigint)[]): Promise<number> {
    const fn = this.exports[`t_${name}`];
    if (fn === undefined) throw new Error(`no import ${name}`);
    return (await fn(...args)) as number;
  }

  get view(): DataView {
    return new DataView(this.memory.buffer);
  }
  u8(ptr: number): number {
    return this.view.getUint8(ptr);
  }
  u16(ptr: number): number {
    return this.view.getUint16(ptr, true);
  }
  u32(ptr: number): number {
    return this.view.getUint32(ptr, true);
  }
  u64(ptr: number): bigint {
    return this.view.getBigUint64(ptr, true);
  }
  setU32(ptr: number, value: number): void {
    this.view.setUint32(ptr, value, true);
  }
  setU64(ptr: number, value: bigint): void {
    this.view.setBigUint64(ptr, value, true);
  }
  bytes(ptr: number, len: number): Buffer {
    return Buffer.from(new Uint8Array(this.memory.buffer, ptr, len));
  }
  /** Writes bytes (or a UTF-8 string) at `ptr` and returns its length. */
  put(ptr: number, data: string | Uint8Array): number {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    new Uint8Array(this.memory.buffer).set(bytes, ptr);
    return bytes.length;
  }
  /** Writes one iovec at `iovPtr` describing [buf, buf+len). */
  iovec(iovPtr: number, buf: number, len: number): void {
    this.setU32(iovPtr, buf);
    this.setU32(iovPtr + 4, len);
  }

  /** path_open relative to `dirFd`; resolves to [errno, fd]. */
  async open(dirFd: number, file: string, options: { oflags?: number; rights?: bigint; fdflags?: number; follow?: boolean } = {}): Promise<[number, number]> {
    const len = this.put(0x8000, file);
    // By default every right, except that a directory is opened read-only as wasi-libc does (write rights give EISDIR).
    const oflags = options.oflags ?? 0;
    const rights = options.rights ?? ((oflags & 2) !== 0 ? 0xffff_ffffn & ~DIRECTORY_WRITE_RIGHTS : 0xffff_ffffn);
    const errno = await this.call('path_open', dirFd, options.follow === false ? 0 : 1, 0x8000, len, oflags,
      rights, 0xffff_ffffn, options.fdflags ?? 0, 0x7ff0);
    return [errno, this.u32(0x7ff0)];
  }

  /** fd_read of up to `len` bytes into scratch memory; resolves to [errno, text]. */
  async read(fd: number, len = 4096): Promise<[number, string]> {
    this.iovec(0x100, 0x10000, len);
    const errno = await this.call('fd_read', fd, 0x100, 1, 0x108);
    return [errno, this.bytes(0x10000, errno === 0 ? this.u32(0x108) : 0).toString()];
  }

  /** fd_write of `text`; resolves to [errno, nwritten]. */
  async write(fd: number, text: string | Uint8Array): Promise<[number, number]> {
    const len = this.put(0x10000, text);
    this.iovec(0x100, 0x10000, len);
    const errno = await this.call('fd_write', fd, 0x100, 1, 0x108);
    return [errno, this.u32(0x108)];
  }
}
