import fs from 'node:fs';
import { Advice, FdFlags, Filetype, Whence } from './abi.js';
import { Descriptor, type Filestat, type IovecSource, type Readiness, toFilestat } from './descriptor.js';
import { Errno, errnoOf, fail } from './errno.js';
import { type TimeChoice, setFileTimes } from './file-times.js';

const { O_APPEND } = fs.constants;

/** The largest file offset (off_t). */
const MAX_OFFSET = 2n ** 63n - 1n;

/** The longest pause between retries of a busy FIFO or device. */
const MAX_RETRY_MS = 50;

/** What /proc/self/fdinfo says about a host fd: its offset and open flags. */
export function fdInfo(fd: number): { pos: bigint; flags: number } {
  const text = fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1');
  const pos = /^pos:\s*(\d+)/m.exec(text)?.[1] ?? '0';
  const flags = /^flags:\s*([0-7]+)/m.exec(text)?.[1] ?? '0';
  return { pos: BigInt(pos), flags: parseInt(flags, 8) };
}

/**
 * Opens a new description of the file behind `fd` (through /proc/self/fd), so
 * the worker owns an fd that Node tracks and closes if the worker is
 * terminated, and so flags like O_APPEND can be changed (Node has no fcntl).
 */
export function reopen(fd: number, flags: number): number {
  // The magic link itself is what O_NOFOLLOW would refuse; creation flags mean nothing here.
  const { O_CREAT, O_EXCL, O_TRUNC, O_NOFOLLOW } = fs.constants;
  return fs.openSync(`/proc/self/fd/${fd}`, flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOFOLLOW));
}

/**
 * A regular file or a character device (other than a tty), used with plain fs
 * calls: these never wait on another process. Node has no lseek, so the file
 * position is kept here and every read/write is positioned; character devices
 * have no position.
 */
export class FileDescriptor extends Descriptor {
  readonly filetype: number;
  position = 0n;
  #fd: number;
  #openFlags: number;
  #closed = false;
  /** Opened through a read-only mount: its data and metadata cannot change through it. */
  readonly #readOnly: boolean;

  constructor(
    fd: number,
    options: { filetype: number; openFlags: number; rightsBase: bigint; rightsInheriting: bigint; position?: bigint; readOnly?: boolean },
  ) {
    super(options.rightsBase, options.rightsInheriting);
    this.#readOnly = options.readOnly ?? false;
    this.#fd = fd;
    this.filetype = options.filetype;
    this.#openFlags = options.openFlags;
    this.position = options.position ?? 0n;
    if ((options.openFlags & O_APPEND) !== 0) this.fdflags |= FdFlags.APPEND;
  }

  get hostFd(): number {
    return this.#fd;
  }

  private get seekable(): boolean {
    return this.filetype === Filetype.REGULAR_FILE;
  }

  override read(iovs: IovecSource): number | Promise<number> {
    if (!this.seekable) return this.#retryWhileBusy(() => fs.readvSync(this.#fd, iovs(), null as unknown as number));
    const n = fs.readvSync(this.#fd, iovs(), Number(this.position));
    this.position += BigInt(n);
    return n;
  }

  override write(iovs: Uint8Array[]): number | Promise<number> {
    if (!this.seekable) return this.#retryWhileBusy(() => fs.writevSync(this.#fd, iovs, null as unknown as number));
    if ((this.fdflags & FdFlags.APPEND) !== 0) {
      // The host fd has O_APPEND (see setFdflags), so the kernel appends atomically.
      const n = fs.writevSync(this.#fd, iovs, null as unknown as number);
      this.position = fs.fstatSync(this.#fd, { bigint: true }).size;
      return n;
    }
    const n = fs.writevSync(this.#fd, iovs, Number(this.position));
    this.position += BigInt(n);
    return n;
  }

  /**
   * A FIFO or device opened inside the rootfs is non-blocking (so open(2)
   * cannot hang), and Node cannot wait on a raw fd without a handle, which
   * would double-close with Node's fd tracking. So EAGAIN is retried on a
   * timer with backoff while the guest is suspended, unless the guest asked
   * for non-blocking I/O.
   */
  #retryWhileBusy(operation: () => number): number | Promise<number> {
    try {
      return operation();
    } catch (error) {
      if (errnoOf(error) !== Errno.AGAIN || (this.fdflags & FdFlags.NONBLOCK) !== 0) throw error;
    }
    return (async () => {
      for (let wait = 1; ; wait = Math.min(wait * 2, MAX_RETRY_MS)) {
        await new Promise((resolve) => setTimeout(resolve, wait));
        try {
          return operation();
        } catch (error) {
          if (errnoOf(error) !== Errno.AGAIN) throw error;
        }
      }
    })();
  }

  override pread(iovs: Uint8Array[], offset: bigint): number {
    if (!this.seekable) return this.filetype === Filetype.DIRECTORY ? fail(Errno.ISDIR) : fail(Errno.SPIPE);
    return fs.readvSync(this.#fd, iovs, Number(offset));
  }

  override pwrite(iovs: Uint8Array[], offset: bigint): number {
    if (!this.seekable) return fail(Errno.SPIPE);
    return fs.writevSync(this.#fd, iovs, Number(offset));
  }

  override seek(offset: bigint, whence: number): bigint {
    if (!this.seekable) {
      if (whence > Whence.END) fail(Errno.INVAL);
      return 0n; // what Linux answers for /dev/null and friends
    }
    let base: bigint;
    if (whence === Whence.SET) base = 0n;
    else if (whence === Whence.CUR) base = this.position;
    else if (whence === Whence.END) base = fs.fstatSync(this.#fd, { bigint: true }).size;
    else return fail(Errno.INVAL);
    const next = base + offset;
    if (next < 0n || next > MAX_OFFSET) fail(Errno.INVAL);
    this.position = next;
    return next;
  }

  override stat(): Filestat {
    return toFilestat(fs.fstatSync(this.#fd, { bigint: true }));
  }

  override setFdflags(flags: number): void {
    const wantAppend = (flags & FdFlags.APPEND) !== 0;
    const hasAppend = (this.#openFlags & O_APPEND) !== 0;
    if (wantAppend !== hasAppend) {
      const flagsNow = (this.#openFlags & ~O_APPEND) | (wantAppend ? O_APPEND : 0);
      const fresh = reopen(this.#fd, flagsNow);
      fs.closeSync(this.#fd);
      this.#fd = fresh;
      this.#openFlags = flagsNow;
    }
    // DSYNC/RSYNC/SYNC are recorded but not enforced (as in wasmtime): durability is the volume's business.
    this.fdflags = flags;
  }

  override setSize(size: bigint): void {
    if (!this.seekable) fail(Errno.INVAL);
    // A u64 past 2^63 is a negative off_t to the kernel (EINVAL); Node would quietly truncate to 0 instead.
    if (size < 0n) fail(Errno.INVAL);
    if (size > BigInt(Number.MAX_SAFE_INTEGER)) fail(Errno.FBIG);
    fs.ftruncateSync(this.#fd, Number(size));
  }

  override setTimes(atim: TimeChoice, mtim: TimeChoice): void {
    if (this.#readOnly) fail(Errno.ROFS);
    setFileTimes(() => fs.fstatSync(this.#fd, { bigint: true }), (a, m) => fs.futimesSync(this.#fd, a, m), atim, mtim);
  }

  override allocate(offset: bigint, len: bigint): void {
    if (offset < 0n || len <= 0n) fail(Errno.INVAL); // as posix_fallocate(3)
    if (!this.seekable) fail(Errno.SPIPE);
    // No posix_fallocate in Node: growing the size gives the same guarantees to the guest.
    const end = offset + len;
    if (fs.fstatSync(this.#fd, { bigint: true }).size < end) fs.ftruncateSync(this.#fd, Number(end));
  }

  override advise(_offset: bigint, _len: bigint, advice: number): void {
    if (advice > Advice.NOREUSE) fail(Errno.INVAL);
    if (!this.seekable) fail(Errno.SPIPE);
  }

  override sync(dataOnly?: boolean): void {
    if (dataOnly) fs.fdatasyncSync(this.#fd);
    else fs.fsyncSync(this.#fd);
  }

  override readReadiness(): Readiness {
    if (!this.seekable) return { nbytes: 0n, hangup: false };
    const size = fs.fstatSync(this.#fd, { bigint: true }).size;
    return { nbytes: size > this.position ? size - this.position : 0n, hangup: false };
  }

  override writeReadiness(): Readiness {
    return { nbytes: 0n, hangup: false };
  }

  override close(): void {
    if (this.#closed) return;
    this.#closed = true;
    fs.closeSync(this.#fd);
  }
}
