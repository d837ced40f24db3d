import fs from 'node:fs';
import type net from 'node:net';
import { FdFlags } from './abi.js';
import { Descriptor, type Filestat, type IovecSource, type Readiness, toFilestat } from './descriptor.js';
import { Errno, errnoOf, fail } from './errno.js';
import { scatter, totalLength } from './memory-view.js';

/**
 * Bytes queued towards the fd before a write suspends the guest. Small enough
 * to bound memory per task, large enough that a fast reader never idles.
 */
export const WRITE_HIGH_WATER_MARK = 256 * 1024;
/** Bytes read ahead from the fd before reading pauses until the guest consumes. */
export const READ_HIGH_WATER_MARK = 256 * 1024;

/**
 * A pipe, FIFO, socket or tty wrapped in a libuv handle (a net.Socket or tty
 * stream), so waiting for data or for room never blocks the thread: the guest
 * is suspended on a Promise instead. Writes are copied into the handle's queue
 * and reported as written; the guest waits only when the queue is full, and
 * close() resolves once the queue has reached the fd.
 */
export class StreamDescriptor extends Descriptor {
  readonly filetype: number;
  readonly #socket: net.Socket;
  readonly #hostFd: number;
  readonly #readable: boolean;
  readonly #writable: boolean;
  #chunks: Buffer[] = [];
  #buffered = 0;
  #ended = false;
  #paused = false;
  #readErrno: number | undefined;
  #writeErrno: number | undefined;
  readonly #readWaiters = new Notifier();
  readonly #writeWaiters = new Notifier();
  #closing: Promise<void> | undefined;

  constructor(socket: net.Socket, options: { hostFd: number; readable: boolean; writable: boolean; filetype: number; rights: bigint }) {
    super(options.rights, options.rights);
    this.#socket = socket;
    this.#hostFd = options.hostFd;
    this.#readable = options.readable;
    this.#writable = options.writable;
    this.filetype = options.filetype;
    socket.on('error', (error) => {
      const errno = errnoOf(error) ?? Errno.IO;
      if (this.#readable) this.#readErrno ??= errno;
      if (this.#writable) this.#writeErrno ??= errno === Errno.CONNRESET ? Errno.PIPE : errno;
      this.#wakeAll();
    });
    socket.on('close', () => {
      this.#ended = true;
      this.#writeErrno ??= Errno.PIPE;
      this.#wakeAll();
    });
    socket.on('drain', () => this.#writeWaiters.notify());
    if (this.#readable) {
      socket.on('data', (chunk: Buffer) => {
        this.#chunks.push(chunk);
        this.#buffered += chunk.length;
        if (this.#buffered >= READ_HIGH_WATER_MARK && !this.#paused) {
          this.#paused = true;
          socket.pause();
        }
        this.#readWaiters.notify();
      });
      socket.on('end', () => {
        this.#ended = true;
        this.#readWaiters.notify();
      });
    }
  }

  get hostFd(): number {
    return this.#hostFd;
  }

  override read(iovs: IovecSource): number | Promise<number> {
    if (!this.#readable) return fail(Errno.BADF);
    if (this.#buffered > 0) return this.#take(iovs());
    if (this.#readErrno !== undefined) return fail(this.#readErrno);
    if (this.#ended) return 0;
    if (totalLength(iovs()) === 0) return 0;
    if ((this.fdflags & FdFlags.NONBLOCK) !== 0) return fail(Errno.AGAIN);
    return this.whenReadable().then(() => this.read(iovs));
  }

  /** Like read, but leaves the bytes in place (sock_recv with RECV_PEEK). */
  peek(iovs: IovecSource): number | Promise<number> {
    if (!this.#readable) return fail(Errno.BADF);
    if (this.#buffered > 0) return scatter(Buffer.concat(this.#chunks), iovs());
    if (this.#readErrno !== undefined) return fail(this.#readErrno);
    if (this.#ended) return 0;
    if ((this.fdflags & FdFlags.NONBLOCK) !== 0) return fail(Errno.AGAIN);
    return this.whenReadable().then(() => this.peek(iovs));
  }

  #take(views: Uint8Array[]): number {
    let copied = 0;
    for (const view of views) {
      let filled = 0;
      while (filled < view.length && this.#chunks.length > 0) {
        const chunk = this.#chunks[0] as Buffer;
        const n = Math.min(view.length - filled, chunk.length);
        view.set(chunk.subarray(0, n), filled);
        filled += n;
        if (n === chunk.length) this.#chunks.shift();
        else this.#chunks[0] = chunk.subarray(n);
      }
      copied += filled;
      if (this.#chunks.length === 0) break;
    }
    this.#buffered -= copied;
    if (this.#paused && this.#buffered < READ_HIGH_WATER_MARK) {
      this.#paused = false;
      this.#socket.resume();
    }
    return copied;
  }

  override write(iovs: Uint8Array[]): number | Promise<number> {
    if (!this.#writable) return fail(Errno.BADF);
    if (this.#writeErrno !== undefined) return fail(this.#writeErrno);
    if (this.#closing !== undefined) return fail(Errno.PIPE);
    const total = totalLength(iovs);
    if (total === 0) return 0;
    const full = this.#socket.writableLength >= WRITE_HIGH_WATER_MARK;
    if (full && (this.fdflags & FdFlags.NONBLOCK) !== 0) return fail(Errno.AGAIN);
    if (full) return this.whenWritable().then(() => this.write(iovs));
    // Copy now: the guest may reuse its buffer as soon as we return.
    this.#socket.write(Buffer.concat(iovs));
    return total;
  }

  override stat(): Filestat {
    return toFilestat(fs.fstatSync(this.#hostFd, { bigint: true }));
  }

  override readReadiness(): Readiness | undefined {
    if (!this.#readable) return { nbytes: 0n, hangup: false, errno: Errno.BADF };
    if (this.#buffered > 0) return { nbytes: BigInt(this.#buffered), hangup: false };
    if (this.#readErrno !== undefined) return { nbytes: 0n, hangup: false, errno: this.#readErrno };
    if (this.#ended) return { nbytes: 0n, hangup: true };
    return undefined;
  }

  override writeReadiness(): Readiness | undefined {
    if (!this.#writable) return { nbytes: 0n, hangup: false, errno: Errno.BADF };
    if (this.#writeErrno !== undefined) return { nbytes: 0n, hangup: true };
    const room = WRITE_HIGH_WATER_MARK - this.#socket.writableLength;
    return room > 0 ? { nbytes: BigInt(room), hangup: false } : undefined;
  }

  override whenReadable(): Promise<void> {
    return this.#readWaiters.wait();
  }

  override whenWritable(): Promise<void> {
    return this.#writeWaiters.wait();
  }

  override onReadable(wake: () => void): () => void {
    return this.#readWaiters.subscribe(wake);
  }

  override onWritable(wake: () => void): () => void {
    return this.#writeWaiters.subscribe(wake);
  }

  /** The writer is done (the shim's CloseIO): reads return every byte written so far, then end of file. */
  endInput(): void {
    if (!this.#readable || this.#ended) return;
    // What the client wrote before it said it was done may still sit in the stream's
    // buffer and in the pipe: take all of it, in order, before the end.
    for (let chunk: Buffer | null = this.#socket.read() as Buffer | null; chunk !== null; chunk = this.#socket.read() as Buffer | null) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
    }
    const scratch = Buffer.allocUnsafe(64 * 1024);
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(this.#hostFd, scratch);
      } catch {
        break; // EAGAIN: the pipe is empty
      }
      if (n === 0) break;
      this.#chunks.push(Buffer.from(scratch.subarray(0, n)));
      this.#buffered += n;
    }
    this.#ended = true;
    this.#socket.pause();
    this.#readWaiters.notify();
  }

  /** Half-closes (sock_shutdown): stops reading and/or ends the write side after the queue. */
  shutdown(read: boolean, write: boolean): void {
    if (read && this.#readable) {
      this.#ended = true;
      this.#chunks = [];
      this.#buffered = 0;
      this.#socket.pause();
      this.#readWaiters.notify();
    }
    if (write && this.#writable) {
      this.#writeErrno ??= Errno.PIPE;
      this.#socket.end();
    }
  }

  /** Resolves once every queued byte has reached the fd (or the fd failed), then releases the handle. */
  override close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      const socket = this.#socket;
      if (!this.#writable || socket.destroyed || this.#writeErrno !== undefined) {
        socket.destroy();
        resolve();
        return;
      }
      const done = (): void => {
        socket.destroy();
        resolve();
      };
      socket.once('error', done);
      socket.once('close', done);
      socket.end(done);
    });
    return this.#closing;
  }

  #wakeAll(): void {
    this.#readWaiters.notify();
    this.#writeWaiters.notify();
  }
}

/**
 * One shared Promise per kind of wake-up, so a guest that polls again and
 * again on an idle fd does not pile up listeners.
 */
export class Notifier {
  #promise: Promise<void> | undefined;
  #resolve: (() => void) | undefined;
  /** Cancellable wake-ups (poll_oneoff), called once by the next notify(). */
  readonly #subscribers = new Set<() => void>();

  subscribe(wake: () => void): () => void {
    this.#subscribers.add(wake);
    return () => this.#subscribers.delete(wake);
  }

  wait(): Promise<void> {
    this.#promise ??= new Promise<void>((resolve) => {
      this.#resolve = resolve;
    });
    return this.#promise;
  }

  notify(): void {
    const resolve = this.#resolve;
    this.#promise = undefined;
    this.#resolve = undefined;
    resolve?.();
    if (this.#subscribers.size > 0) {
      const woken = [...this.#subscribers];
      this.#subscribers.clear();
      for (const wake of woken) wake();
    }
  }
}
