import fs from 'node:fs';
import type net from 'node:net';
import { FdFlags } from './abi.js';
import { Descriptor, type Filestat, type IovecSource, type Readiness, toFilestat } from './descriptor.js';
import { Errno, errnoOf, fail } from './errno.js';
import { scatter, skipBytes, totalLength } from './memory-view.js';
import { openWatcher } from './pipe-drain.js';

/**
 * The room poll_oneoff reports on a writable stream with nothing in flight: a
 * write of any size is then taken (it may wait for the reader), so this only
 * tells the guest how much it can expect to hand over in one go.
 */
export const WRITE_HIGH_WATER_MARK = 256 * 1024;
/** Bytes read ahead from the fd before reading pauses until the guest consumes. */
export const READ_HIGH_WATER_MARK = 256 * 1024;

/**
 * Over 300 lines for a reason: reads, writes, readiness, CloseIO and close of one
 * stream share its buffers and its in-flight write, and each guarantee (a write
 * is reported only once it is in the fd; end of file always arrives) spans
 * several of them; split, the ordering between them would be harder to see.
 * Notifier, the one helper, lives at the end.
 *
 * A pipe, FIFO, socket or tty wrapped in a libuv handle (a net.Socket or tty
 * stream), so waiting for data or for room never blocks the thread: the guest
 * is suspended on a Promise instead.
 *
 * A write is reported as written only once every byte of it is in the fd (the
 * kernel's pipe or socket buffer): the handle writes what fits at once, and the
 * guest waits for the rest. So nothing the guest was told is written can be lost
 * when its thread is ended (kill, or the daemon ending it after exit), and at exit
 * there is no queue of ours left to flush.
 *
 * Reads try the fd itself before waiting for the event loop: a FIFO whose last
 * writer left before we opened it never reports a hang-up (Linux suppresses
 * EPOLLHUP until it has seen a writer), but read(2) returns end of file at once.
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
  /** Resolves when the write in flight (taken by the handle, not yet in the fd) has reached the fd or failed. */
  #inFlight: Promise<void> | undefined;
  #hasWritten = false;
  /** A read end on our pipe, opened as the guest closed its writer: the drain at exit still sees the pipe. */
  #watcher: number | undefined;

  /** read(2) the fd before waiting (see #readNow). */
  readonly #readsFdFirst: boolean;
  /** writev(2) straight from the guest's memory before going through the handle (see write). */
  readonly #writesFdFirst: boolean;

  constructor(
    socket: net.Socket,
    options: {
      hostFd: number;
      readable: boolean;
      writable: boolean;
      filetype: number;
      rights: bigint;
      /** The fd is a pipe or FIFO the handle made non-blocking: it may be read and written directly. */
      readsFdFirst?: boolean;
      writesFdFirst?: boolean;
    },
  ) {
    super(options.rights, options.rights);
    this.#socket = socket;
    this.#hostFd = options.hostFd;
    this.#readable = options.readable;
    this.#writable = options.writable;
    this.#readsFdFirst = options.readsFdFirst === true && options.readable && options.hostFd >= 0;
    this.#writesFdFirst = options.writesFdFirst === true && options.writable && options.hostFd >= 0;
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

  /** False once close() began (the fd may already be gone, its number reused). */
  get isOpen(): boolean {
    return this.#closing === undefined && !this.#socket.destroyed;
  }

  override read(iovs: IovecSource): number | Promise<number> {
    if (!this.#readable) return fail(Errno.BADF);
    if (this.#buffered === 0) this.#readNow();
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

  /**
   * One non-blocking read(2) on the fd when nothing is buffered: data, end of
   * file, or nothing yet (EAGAIN). Only for FIFOs and pipes we were handed,
   * whose fd the handle made non-blocking; the event loop's own reads stay the
   * usual path.
   */
  #readNow(): void {
    // Bytes the handle already took (waiting in its buffer to be emitted after a resume) come first.
    if (!this.#readsFdFirst || this.#ended || this.#paused || this.#readErrno !== undefined) return;
    if (this.#socket.readableLength > 0) return;
    let n: number;
    try {
      n = fs.readSync(this.#hostFd, this.#scratch());
    } catch (error) {
      const errno = errnoOf(error);
      if (errno !== undefined && errno !== Errno.AGAIN) this.#readErrno = errno;
      return;
    }
    if (n === 0) {
      this.#ended = true;
      this.#socket.pause();
      return;
    }
    this.#chunks.push(Buffer.from(this.#scratch().subarray(0, n)));
    this.#buffered += n;
  }

  #scratchBuffer: Buffer | undefined;
  #scratch(): Buffer {
    this.#scratchBuffer ??= Buffer.allocUnsafe(64 * 1024);
    return this.#scratchBuffer;
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
    const nonblocking = (this.fdflags & FdFlags.NONBLOCK) !== 0;
    if (this.#inFlight !== undefined) {
      // Another write (a NONBLOCK one, or one racing in a poll loop) is still on its way: keep the order.
      if (nonblocking) return fail(Errno.AGAIN);
      return this.#inFlight.then(() => this.write(iovs));
    }
    const socket = this.#socket;
    this.#hasWritten = true;
    let rest = iovs;
    if (this.#writesFdFirst) {
      // Straight from the guest's memory into the pipe: no copy, no stream machinery, for
      // everything that fits now. Only what does not fit goes through the handle below.
      let written: number;
      try {
        written = fs.writevSync(this.#hostFd, iovs);
      } catch (error) {
        const errno = errnoOf(error) ?? Errno.IO;
        if (errno !== Errno.AGAIN) return fail(errno);
        written = 0;
      }
      if (written === total) return total;
      rest = skipBytes(iovs, written);
    }
    let settle!: (errno: number | undefined) => void;
    const settled = new Promise<number | undefined>((resolve) => {
      settle = resolve;
    });
    // Copied now: the guest may reuse its buffer as soon as we return. The handle
    // tries the fd synchronously; whatever did not fit stays queued in the handle.
    socket.write(Buffer.concat(rest), (error) => settle(error ? (errnoOf(error) ?? Errno.IO) : undefined));
    if (socket.writableLength === 0) return total;
    this.#inFlight = settled.then(() => {
      this.#inFlight = undefined;
      this.#writeWaiters.notify();
    });
    // NONBLOCK: taken, and reported written; the next write waits for it (EAGAIN meanwhile).
    if (nonblocking) return total;
    return settled.then((errno) => {
      if (errno === undefined) return total;
      return fail(errno === Errno.CONNRESET ? Errno.PIPE : errno);
    });
  }

  /** Whether the guest ever wrote through this descriptor. */
  get hasWritten(): boolean {
    return this.#hasWritten;
  }

  /** Resolves once nothing of ours is on its way to the fd. */
  flushed(): Promise<void> {
    return this.#inFlight ?? Promise.resolve();
  }

  override stat(): Filestat {
    return toFilestat(fs.fstatSync(this.#hostFd, { bigint: true }));
  }

  override readReadiness(): Readiness | undefined {
    if (!this.#readable) return { nbytes: 0n, hangup: false, errno: Errno.BADF };
    if (this.#buffered === 0) this.#readNow();
    if (this.#buffered > 0) return { nbytes: BigInt(this.#buffered), hangup: false };
    if (this.#readErrno !== undefined) return { nbytes: 0n, hangup: false, errno: this.#readErrno };
    if (this.#ended) return { nbytes: 0n, hangup: true };
    return undefined;
  }

  override writeReadiness(): Readiness | undefined {
    if (!this.#writable) return { nbytes: 0n, hangup: false, errno: Errno.BADF };
    if (this.#writeErrno !== undefined) return { nbytes: 0n, hangup: true };
    return this.#inFlight === undefined ? { nbytes: BigInt(WRITE_HIGH_WATER_MARK), hangup: false } : undefined;
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
    // read() hands each chunk to the 'data' listener (which queues it) as well as returning it.
    while (this.#socket.read() !== null);
    const scratch = this.#scratch();
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

  /** The watcher left by close(), now the caller's to close. */
  takeWatcher(): number | undefined {
    const watcher = this.#watcher;
    this.#watcher = undefined;
    return watcher;
  }

  /** Resolves once every queued byte has reached the fd (or the fd failed), then releases the handle. */
  override close(): Promise<void> {
    if (this.#closing === undefined && this.#writable && this.#hasWritten && this.#hostFd >= 0) this.#watcher = openWatcher(this.#hostFd);
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
