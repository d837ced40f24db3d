import fs from 'node:fs';
import { DIRECTORY_RIGHTS, FILE_RIGHTS, FdFlags, Filetype, LookupFlags, OFlags, Rights } from './abi.js';
import type { Descriptor } from './descriptor.js';
import { filetypeOf } from './descriptor.js';
import { DirectoryDescriptor } from './directory-descriptor.js';
import { Errno, fail } from './errno.js';
import { FileDescriptor } from './file-descriptor.js';
import { at, withResolved } from './path-resolver.js';

const C = fs.constants;
const WRITE_RIGHTS = Rights.FD_WRITE | Rights.FD_ALLOCATE | Rights.FD_FILESTAT_SET_SIZE;
const READ_RIGHTS = Rights.FD_READ | Rights.FD_READDIR;

export interface OpenRequest {
  path: string;
  lookupflags: number;
  oflags: number;
  rightsBase: bigint;
  rightsInheriting: bigint;
  fdflags: number;
}

/**
 * path_open: resolves inside `dir`'s sandbox and opens the last component
 * with O_NOFOLLOW through /proc/self/fd (the openat Node lacks), then checks
 * what it got. Host fds are always opened O_NONBLOCK so a FIFO in the rootfs
 * cannot block the thread in open(2).
 */
export function openAt(dir: DirectoryDescriptor, request: OpenRequest): Descriptor {
  const { oflags, fdflags } = request;
  if (oflags > 0xf || fdflags > 0x1f) fail(Errno.INVAL);
  // Creating a directory is path_create_directory's job; Linux 6.4+ answers EINVAL too (older kernels vary).
  if ((oflags & (OFlags.DIRECTORY | OFlags.CREAT)) === (OFlags.DIRECTORY | OFlags.CREAT)) fail(Errno.INVAL);
  const requested = BigInt.asUintN(64, request.rightsBase);
  const wantsDirectory = (oflags & OFlags.DIRECTORY) !== 0;
  // Asking to write a directory is EISDIR, as open(2) says for O_DIRECTORY|O_RDWR.
  const write = (requested & WRITE_RIGHTS) !== 0n || (fdflags & FdFlags.APPEND) !== 0;
  const read = (requested & READ_RIGHTS) !== 0n || !write;

  let flags = (read && write ? C.O_RDWR : write ? C.O_WRONLY : C.O_RDONLY) | C.O_NOFOLLOW | C.O_NONBLOCK;
  if ((oflags & OFlags.CREAT) !== 0) flags |= C.O_CREAT;
  if ((oflags & OFlags.EXCL) !== 0) flags |= C.O_EXCL;
  if ((oflags & OFlags.TRUNC) !== 0) flags |= C.O_TRUNC;
  if (wantsDirectory) flags |= C.O_DIRECTORY;
  if ((fdflags & FdFlags.APPEND) !== 0) flags |= C.O_APPEND;
  if ((fdflags & FdFlags.DSYNC) !== 0) flags |= C.O_DSYNC;
  if ((fdflags & (FdFlags.SYNC | FdFlags.RSYNC)) !== 0) flags |= C.O_SYNC;

  // With O_CREAT|O_EXCL a final symlink must not be followed (POSIX).
  const creatExcl = (oflags & (OFlags.CREAT | OFlags.EXCL)) === (OFlags.CREAT | OFlags.EXCL);
  const follow = (request.lookupflags & LookupFlags.SYMLINK_FOLLOW) !== 0 && !creatExcl;

  const { fd, guestPath, mount, readOnly } = withResolved(dir.roots, request.path, follow, (resolved) => {
    if (resolved.mustBeDirectory) {
      if ((oflags & OFlags.CREAT) !== 0) fail(Errno.ISDIR);
      flags |= C.O_DIRECTORY;
    }
    if (write && resolved.name === '.') fail(Errno.ISDIR);
    const target = at(resolved.dirFd, resolved.name);
    if (resolved.readOnly) refuseOnReadOnly(target, flags, write);
    const opened = fs.openSync(target, flags, 0o666);
    return { fd: opened, guestPath: resolved.guestPath, mount: resolved.mount, readOnly: resolved.readOnly };
  });

  try {
    const stats = fs.fstatSync(fd);
    const filetype = filetypeOf(stats);
    // Rights a child gets: what was asked, limited by what the directory passes on.
    const inherit = (natural: bigint): bigint => requested & dir.rightsInheriting & natural;
    const inheriting = BigInt.asUintN(64, request.rightsInheriting) & dir.rightsInheriting;
    if (filetype === Filetype.DIRECTORY) {
      return new DirectoryDescriptor(fd, { rightsBase: inherit(DIRECTORY_RIGHTS), rightsInheriting: inheriting, root: dir.root, guestPath, mount });
    }
    if (wantsDirectory) fail(Errno.NOTDIR);
    let natural = FILE_RIGHTS;
    if (!read) natural &= ~Rights.FD_READ;
    if (!write) natural &= ~(WRITE_RIGHTS | Rights.FD_WRITE);
    const descriptor = new FileDescriptor(fd, { filetype, openFlags: flags, rightsBase: inherit(natural), rightsInheriting: 0n, readOnly });
    descriptor.fdflags = fdflags;
    return descriptor;
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
}

/**
 * What open(2) answers on a read-only filesystem: EROFS for writing, truncating
 * or creating a file that does not exist yet (an existing one opens, for reading).
 * Devices and FIFOs may be written wherever they are.
 */
function refuseOnReadOnly(target: string, flags: number, write: boolean): void {
  let stats: fs.Stats | undefined;
  try {
    stats = fs.lstatSync(target);
  } catch {
    stats = undefined;
  }
  if (stats === undefined) {
    if ((flags & C.O_CREAT) !== 0) fail(Errno.ROFS);
    return;
  }
  if ((flags & C.O_CREAT) !== 0 && (flags & C.O_EXCL) !== 0) return; // EEXIST from open(2) itself
  const special = stats.isCharacterDevice() || stats.isBlockDevice() || stats.isFIFO() || stats.isSocket();
  if (!special && (write || (flags & C.O_TRUNC) !== 0)) fail(Errno.ROFS);
}
