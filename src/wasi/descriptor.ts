import type { BigIntStats } from 'node:fs';
import { Filetype } from './abi.js';
import { Errno, fail } from './errno.js';
import { reportedTimes } from './file-times.js';

/** `$filestat` as the host writes it. */
export interface Filestat {
  dev: bigint;
  ino: bigint;
  filetype: number;
  nlink: bigint;
  size: bigint;
  atim: bigint;
  mtim: bigint;
  ctim: bigint;
}

/** What poll_oneoff reports for an fd subscription that is ready. */
export interface Readiness {
  nbytes: bigint;
  hangup: boolean;
  errno?: number;
}

/** Gives the iovec views to fill; called after any wait, because memory may have grown. */
export type IovecSource = () => Uint8Array[];

/**
 * One open guest fd. Methods a kind of fd does not support fail with the errno
 * POSIX gives for that case (ESPIPE for seeking a pipe, EBADF otherwise).
 * Methods that may wait return a Promise; the host then suspends the guest.
 */
export abstract class Descriptor {
  abstract readonly filetype: number;
  rightsBase: bigint;
  rightsInheriting: bigint;
  /**
   * The rights this kind of fd started with. Only a right the guest dropped
   * (fd_fdstat_set_rights, path_open) gives ENOTCAPABLE; an operation the kind
   * never supported fails with its natural errno instead (EISDIR, ESPIPE...).
   */
  readonly naturalRights: bigint;
  fdflags = 0;

  constructor(rightsBase: bigint, rightsInheriting: bigint) {
    this.naturalRights = rightsBase;
    this.rightsBase = rightsBase;
    this.rightsInheriting = rightsInheriting;
  }

  read(_iovs: IovecSource): number | Promise<number> {
    return fail(Errno.BADF);
  }
  write(_iovs: Uint8Array[]): number | Promise<number> {
    return fail(Errno.BADF);
  }
  pread(_iovs: Uint8Array[], _offset: bigint): number {
    return fail(Errno.SPIPE);
  }
  pwrite(_iovs: Uint8Array[], _offset: bigint): number {
    return fail(Errno.SPIPE);
  }
  seek(_offset: bigint, _whence: number): bigint {
    return fail(Errno.SPIPE);
  }
  stat(): Filestat {
    return { ...EMPTY_STAT, filetype: this.filetype };
  }
  setFdflags(flags: number): void {
    this.fdflags = flags;
  }
  setSize(_size: bigint): void {
    fail(Errno.BADF);
  }
  setTimes(_atim: bigint | null | 'now', _mtim: bigint | null | 'now'): void {
    fail(Errno.BADF);
  }
  allocate(_offset: bigint, _len: bigint): void {
    fail(Errno.BADF);
  }
  advise(_offset: bigint, _len: bigint, _advice: number): void {
    fail(Errno.SPIPE);
  }
  sync(_dataOnly?: boolean): void {
    fail(Errno.INVAL);
  }
  /** Non-blocking readiness for poll_oneoff; `undefined` means not ready yet. */
  readReadiness(): Readiness | undefined {
    return { nbytes: 0n, hangup: false, errno: Errno.BADF };
  }
  writeReadiness(): Readiness | undefined {
    return { nbytes: 0n, hangup: false, errno: Errno.BADF };
  }
  /** Resolves when readReadiness() may have changed (data, EOF, error). */
  whenReadable(): Promise<void> {
    return new Promise(() => {});
  }
  whenWritable(): Promise<void> {
    return new Promise(() => {});
  }
  /**
   * Calls `wake` when readReadiness() may have changed; the returned function
   * cancels. poll_oneoff cancels what did not fire, so an fd that stays idle
   * through many polls holds no wake-ups (kinds with a Notifier override this).
   */
  onReadable(wake: () => void): () => void {
    return wakeOnce(this.whenReadable(), wake);
  }
  onWritable(wake: () => void): () => void {
    return wakeOnce(this.whenWritable(), wake);
  }
  /** Releases the host resource; may flush first. */
  abstract close(): void | Promise<void>;
}

function wakeOnce(ready: Promise<void>, wake: () => void): () => void {
  let live = true;
  void ready.then(() => {
    if (live) wake();
  });
  return () => {
    live = false;
  };
}

const EMPTY_STAT: Filestat = {
  dev: 0n,
  ino: 0n,
  filetype: Filetype.UNKNOWN,
  nlink: 1n,
  size: 0n,
  atim: 0n,
  mtim: 0n,
  ctim: 0n,
};

/** The WASI filetype of a host stat result. */
export function filetypeOf(stats: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): number {
  if (stats.isFile()) return Filetype.REGULAR_FILE;
  if (stats.isDirectory()) return Filetype.DIRECTORY;
  if (stats.isSymbolicLink()) return Filetype.SYMBOLIC_LINK;
  if (stats.isCharacterDevice()) return Filetype.CHARACTER_DEVICE;
  if (stats.isBlockDevice()) return Filetype.BLOCK_DEVICE;
  if (stats.isSocket()) return Filetype.SOCKET_STREAM;
  return Filetype.UNKNOWN; // FIFOs have no preview 1 filetype (wasmtime also says unknown)
}

export function toFilestat(stats: BigIntStats): Filestat {
  const times = reportedTimes(stats);
  return {
    dev: stats.dev,
    ino: stats.ino,
    filetype: filetypeOf(stats),
    nlink: stats.nlink,
    size: stats.size,
    atim: times.atim,
    mtim: times.mtim,
    ctim: stats.ctimeNs,
  };
}
