import fs, { type BigIntStats } from 'node:fs';
import { LookupFlags, OFlags, Rights } from './abi.js';
import { toFilestat } from './descriptor.js';
import { DirectoryDescriptor } from './directory-descriptor.js';
import { Errno, fail } from './errno.js';
import { storeFilestat, timesFromFlags } from './fd-calls.js';
import { setFileTimes } from './file-times.js';
import type { HostContext, ImportTable } from './host-context.js';
import { openAt } from './path-open.js';
import { type Resolved, at, withResolved } from './path-resolver.js';

/**
 * The path_* imports. Every path goes through the resolver, and every host
 * call acts on `at(dirFd, name)` with a variant that does not follow a final
 * symlink, so the kernel never leaves the sandbox on the guest's behalf.
 */
export function pathCalls(ctx: HostContext): ImportTable {
  const { memory, fds } = ctx;
  const dirOf = (fd: number, rights: bigint): DirectoryDescriptor => fds.getAs(fd, DirectoryDescriptor, rights, Errno.NOTDIR);
  const pathOf = (ptr: number, len: number): string => memory.string(ptr, len);
  const hostPath = (r: Resolved): string => at(r.dirFd, r.name);

  return {
    immediate: {
      path_open(
        fd: number, lookupflags: number, pathPtr: number, pathLen: number, oflags: number,
        rightsBase: bigint, rightsInheriting: bigint, fdflags: number, fdOut: number,
      ): number {
        // Creating needs path_create_file, truncating path_filestat_set_size, on the directory.
        let needed = Rights.PATH_OPEN;
        if ((oflags & OFlags.CREAT) !== 0) needed |= Rights.PATH_CREATE_FILE;
        if ((oflags & OFlags.TRUNC) !== 0) needed |= Rights.PATH_FILESTAT_SET_SIZE;
        const dir = dirOf(fd, needed);
        const path = pathOf(pathPtr, pathLen);
        memory.check(fdOut, 4);
        const opened = openAt(dir, { path, lookupflags, oflags, rightsBase, rightsInheriting, fdflags });
        memory.setU32(fdOut, fds.add(opened));
        return 0;
      },
      path_create_directory(fd: number, pathPtr: number, pathLen: number): number {
        const dir = dirOf(fd, Rights.PATH_CREATE_DIRECTORY);
        withResolved(dir.roots, pathOf(pathPtr, pathLen), false, (r) => {
          if (r.readOnly && !lexists(hostPath(r))) fail(Errno.ROFS);
          fs.mkdirSync(hostPath(r), 0o777);
        });
        return 0;
      },
      path_filestat_get(fd: number, flags: number, pathPtr: number, pathLen: number, buf: number): number {
        const dir = dirOf(fd, Rights.PATH_FILESTAT_GET);
        const follow = (flags & LookupFlags.SYMLINK_FOLLOW) !== 0;
        const stat = withResolved(dir.roots, pathOf(pathPtr, pathLen), follow, (r) => {
          const stats = fs.lstatSync(hostPath(r), { bigint: true });
          if (r.mustBeDirectory && !stats.isDirectory()) fail(Errno.NOTDIR);
          return toFilestat(stats);
        });
        storeFilestat(memory, buf, stat);
        return 0;
      },
      path_filestat_set_times(
        fd: number, flags: number, pathPtr: number, pathLen: number, atim: bigint, mtim: bigint, fstFlags: number,
      ): number {
        const dir = dirOf(fd, Rights.PATH_FILESTAT_SET_TIMES);
        const [a, m] = timesFromFlags(atim, mtim, fstFlags);
        const follow = (flags & LookupFlags.SYMLINK_FOLLOW) !== 0;
        withResolved(dir.roots, pathOf(pathPtr, pathLen), follow, (r) => {
          const stat = (): BigIntStats => fs.lstatSync(hostPath(r), { bigint: true });
          if (r.mustBeDirectory && !stat().isDirectory()) fail(Errno.NOTDIR);
          unchangeable(r);
          setFileTimes(stat, (atime, mtime) => fs.lutimesSync(hostPath(r), atime, mtime), a, m);
        });
        return 0;
      },
      path_link(
        oldFd: number, oldFlags: number, oldPtr: number, oldLen: number, newFd: number, newPtr: number, newLen: number,
      ): number {
        const from = dirOf(oldFd, Rights.PATH_LINK_SOURCE);
        const to = dirOf(newFd, Rights.PATH_LINK_TARGET);
        const follow = (oldFlags & LookupFlags.SYMLINK_FOLLOW) !== 0;
        const oldPath = pathOf(oldPtr, oldLen);
        const newPath = pathOf(newPtr, newLen);
        withResolved(from.roots, oldPath, follow, (source) => {
          if (source.mustBeDirectory) fail(Errno.NOTDIR);
          withResolved(to.roots, newPath, false, (target) => {
            if (target.mustBeDirectory) fail(lexists(hostPath(target)) ? Errno.EXIST : Errno.NOENT);
            if (target.readOnly && !lexists(hostPath(target))) fail(Errno.ROFS);
            // As link(2) across two mounts, even of one filesystem: a read-only file never gains a writable name.
            if (from.root !== to.root || source.mount !== target.mount) fail(lexists(hostPath(target)) ? Errno.EXIST : Errno.XDEV);
            // Linux link(2) does not follow a final symlink in the source: the link itself is linked.
            fs.linkSync(hostPath(source), hostPath(target));
          });
        });
        return 0;
      },
      path_readlink(fd: number, pathPtr: number, pathLen: number, buf: number, bufLen: number, bufusedPtr: number): number {
        const dir = dirOf(fd, Rights.PATH_READLINK);
        const target = withResolved(dir.roots, pathOf(pathPtr, pathLen), false, (r) =>
          fs.readlinkSync(hostPath(r), { encoding: 'buffer' }),
        );
        // Truncated to the buffer, like readlink(2).
        const n = Math.min(target.length, bufLen);
        memory.write(buf, target.subarray(0, n));
        memory.setU32(bufusedPtr, n);
        return 0;
      },
      path_remove_directory(fd: number, pathPtr: number, pathLen: number): number {
        const dir = dirOf(fd, Rights.PATH_REMOVE_DIRECTORY);
        withResolved(dir.roots, pathOf(pathPtr, pathLen), false, (r) => {
          unremovable(r);
          if (r.name === '.') fail(Errno.INVAL);
          fs.rmdirSync(hostPath(r));
        });
        return 0;
      },
      path_rename(fd: number, oldPtr: number, oldLen: number, newFd: number, newPtr: number, newLen: number): number {
        const from = dirOf(fd, Rights.PATH_RENAME_SOURCE);
        const to = dirOf(newFd, Rights.PATH_RENAME_TARGET);
        const oldPath = pathOf(oldPtr, oldLen);
        const newPath = pathOf(newPtr, newLen);
        withResolved(from.roots, oldPath, false, (source) => {
          withResolved(to.roots, newPath, false, (target) => {
            if (source.name === '.' || target.name === '.') fail(Errno.BUSY);
            // A mount point, or a directory holding one, stays where it is: the mount would be left behind.
            const mounts = from.roots.mounts;
            if (source.mountPoint !== undefined || target.mountPoint !== undefined) fail(Errno.BUSY);
            if (mounts?.holdsMount(source.guestPath) === true || to.roots.mounts?.holdsMount(target.guestPath) === true) fail(Errno.BUSY);
            if (from.root !== to.root || source.mount !== target.mount) fail(Errno.XDEV);
            if (source.readOnly) fail(Errno.ROFS);
            if (source.mustBeDirectory || target.mustBeDirectory) {
              if (!fs.lstatSync(hostPath(source)).isDirectory()) fail(Errno.NOTDIR);
            }
            fs.renameSync(hostPath(source), hostPath(target));
          });
        });
        return 0;
      },
      path_symlink(oldPtr: number, oldLen: number, fd: number, newPtr: number, newLen: number): number {
        const dir = dirOf(fd, Rights.PATH_SYMLINK);
        // Stored verbatim: following it later goes through the resolver, which keeps it inside.
        const target = pathOf(oldPtr, oldLen);
        if (target.includes('\0')) fail(Errno.INVAL);
        // An absolute target names no preopen (wasmtime refuses it too); links already in an image still resolve from the root.
        if (target.startsWith('/')) fail(Errno.PERM);
        withResolved(dir.roots, pathOf(newPtr, newLen), false, (r) => {
          if (r.mustBeDirectory) fail(lexists(hostPath(r)) ? Errno.EXIST : Errno.NOENT);
          if (r.readOnly && !lexists(hostPath(r))) fail(Errno.ROFS);
          fs.symlinkSync(target, hostPath(r));
        });
        return 0;
      },
      path_unlink_file(fd: number, pathPtr: number, pathLen: number): number {
        const dir = dirOf(fd, Rights.PATH_UNLINK_FILE);
        withResolved(dir.roots, pathOf(pathPtr, pathLen), false, (r) => {
          if (r.mustBeDirectory) fail(fs.lstatSync(hostPath(r)).isDirectory() ? Errno.ISDIR : Errno.NOTDIR);
          unremovable(r);
          fs.unlinkSync(hostPath(r));
        });
        return 0;
      },
    },
    waiting: {},
  };
}

/** A mount point cannot be removed (EBUSY, as umount first would be needed); nothing on a read-only mount can. */
function unremovable(r: Resolved): void {
  if (r.mountPoint !== undefined) fail(Errno.BUSY);
  if (r.readOnly) fail(Errno.ROFS);
}

/** Metadata of a read-only mount, or of a device (the host's own node), does not change. */
function unchangeable(r: Resolved): void {
  if (r.mountPoint?.device === true) fail(Errno.PERM);
  if (r.readOnly) fail(Errno.ROFS);
}

/** Whether a name exists, without following a final symlink. */
function lexists(path: string): boolean {
  try {
    fs.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
