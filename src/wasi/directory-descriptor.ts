import fs from 'node:fs';
import { Filetype } from './abi.js';
import { Descriptor, type Filestat, filetypeOf, toFilestat } from './descriptor.js';
import { Errno, fail } from './errno.js';
import { encodeUtf8 } from './memory-view.js';
import { type SandboxRoots, at } from './path-resolver.js';
import { type MountTable, ROOT_MOUNT } from './mount-table.js';
import { type TimeChoice, setFileTimes } from './file-times.js';

export interface DirectoryEntry {
  name: Uint8Array;
  ino: bigint;
  filetype: number;
}

/**
 * An open directory: a preopen or one the guest opened. It holds a host fd
 * opened O_DIRECTORY|O_NOFOLLOW, through which every path below it is resolved.
 */
export class DirectoryDescriptor extends Descriptor {
  readonly filetype = Filetype.DIRECTORY;
  /** Set on preopens: the name fd_prestat_dir_name reports. */
  readonly preopenPath: string | undefined;
  readonly #fd: number;
  readonly #root: DirectoryDescriptor | undefined;
  /** Where this directory lives inside its preopen, and on which mount (see mount-table.ts). */
  readonly guestPath: readonly string[];
  readonly mount: number;
  /** Set on preopens: the mounts laid over it. */
  readonly #mounts: MountTable | undefined;
  #entries: DirectoryEntry[] | undefined;
  #closed = false;

  constructor(
    fd: number,
    options: {
      rightsBase: bigint;
      rightsInheriting: bigint;
      preopenPath?: string;
      root?: DirectoryDescriptor;
      mounts?: MountTable;
      guestPath?: readonly string[];
      mount?: number;
    },
  ) {
    super(options.rightsBase, options.rightsInheriting);
    this.#fd = fd;
    this.preopenPath = options.preopenPath;
    this.#root = options.root;
    this.#mounts = options.mounts;
    this.guestPath = options.guestPath ?? [];
    this.mount = options.mount ?? ROOT_MOUNT;
  }

  get hostFd(): number {
    return this.#fd;
  }

  /** The preopen this directory lives in (itself for a preopen). */
  get root(): DirectoryDescriptor {
    return this.#root ?? this;
  }

  get roots(): SandboxRoots {
    if (this.#closed) fail(Errno.BADF);
    const mounts = this.root.#mounts;
    return { baseFd: this.#fd, rootFd: this.root.hostFd, basePath: this.guestPath, baseMount: this.mount, ...(mounts ? { mounts } : {}) };
  }

  /** Whether this directory is on a read-only mount. */
  get readOnly(): boolean {
    return this.root.#mounts?.isReadOnly(this.mount) ?? false;
  }

  override read(): number {
    return fail(Errno.ISDIR);
  }
  override write(): number {
    return fail(Errno.ISDIR);
  }
  override pread(): number {
    return fail(Errno.ISDIR);
  }
  override pwrite(): number {
    return fail(Errno.ISDIR);
  }
  override seek(): bigint {
    return fail(Errno.ISDIR);
  }

  override stat(): Filestat {
    return toFilestat(fs.fstatSync(this.#fd, { bigint: true }));
  }

  override setTimes(atim: TimeChoice, mtim: TimeChoice): void {
    if (this.readOnly) fail(Errno.ROFS);
    setFileTimes(() => fs.fstatSync(this.#fd, { bigint: true }), (a, m) => fs.futimesSync(this.#fd, a, m), atim, mtim);
  }

  override sync(): void {
    fs.fsyncSync(this.#fd);
  }

  override setSize(): void {
    fail(Errno.ISDIR);
  }

  override allocate(): void {
    fail(Errno.ISDIR);
  }

  override advise(): void {
    fail(Errno.ISDIR);
  }

  /**
   * The entries from `cookie` on, '.' and '..' first. The listing is taken
   * afresh when a walk starts (cookie 0) and kept for the walk, so cookies stay
   * stable while the guest pages through it.
   */
  entries(cookie: bigint): DirectoryEntry[] {
    // Cookies are u64s that arrive signed: one past 2^63 is past the end, not counted from it.
    if (cookie < 0n) return [];
    if (cookie === 0n || this.#entries === undefined) this.#entries = this.#list();
    return this.#entries.slice(Number(cookie));
  }

  #list(): DirectoryEntry[] {
    const self = fs.fstatSync(this.#fd, { bigint: true });
    // '..' of a preopen is outside the sandbox: report the preopen itself.
    const parentIno = this.#root === undefined ? self.ino : fs.statSync(at(this.#fd, '..'), { bigint: true }).ino;
    const entries: DirectoryEntry[] = [
      { name: encodeUtf8('.'), ino: self.ino, filetype: Filetype.DIRECTORY },
      { name: encodeUtf8('..'), ino: parentIno, filetype: Filetype.DIRECTORY },
    ];
    // Names stay bytes: a name that is not UTF-8 must still round-trip.
    const prefix = Buffer.from(at(this.#fd, ''));
    for (const name of fs.readdirSync(at(this.#fd, '.'), { encoding: 'buffer' })) {
      let ino = 0n;
      let filetype: number = Filetype.UNKNOWN;
      try {
        const stats = fs.lstatSync(Buffer.concat([prefix, name]), { bigint: true });
        ino = stats.ino;
        filetype = filetypeOf(stats);
      } catch {
        continue; // removed while listing
      }
      entries.push({ name, ino, filetype });
    }
    return entries;
  }

  override close(): void {
    if (this.#closed) return;
    this.#closed = true;
    fs.closeSync(this.#fd);
    this.#mounts?.close();
  }
}
