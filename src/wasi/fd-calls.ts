import { FstFlags, Layout, Rights, Whence } from './abi.js';
import type { Descriptor, Filestat } from './descriptor.js';
import { DirectoryDescriptor } from './directory-descriptor.js';
import { Errno, fail } from './errno.js';
import { type HostContext, type ImportTable, thenStore } from './host-context.js';
import { type MemoryView, encodeUtf8 } from './memory-view.js';

/** The fd_* imports (witx wasi_snapshot_preview1.witx). */
export function fdCalls(ctx: HostContext): ImportTable {
  const { memory, fds } = ctx;

  const writeFilestat = (ptr: number, d: Descriptor): void => storeFilestat(memory, ptr, d.stat());

  return {
    immediate: {
      fd_advise(fd: number, offset: bigint, len: bigint, advice: number): number {
        fds.get(fd, Rights.FD_ADVISE).advise(offset, len, advice);
        return 0;
      },
      fd_allocate(fd: number, offset: bigint, len: bigint): number {
        fds.get(fd, Rights.FD_ALLOCATE).allocate(offset, len);
        return 0;
      },
      fd_close(fd: number): number {
        fds.close(fd);
        return 0;
      },
      fd_datasync(fd: number): number {
        fds.get(fd, Rights.FD_DATASYNC).sync(true);
        return 0;
      },
      fd_sync(fd: number): number {
        fds.get(fd, Rights.FD_SYNC).sync(false);
        return 0;
      },
      fd_fdstat_get(fd: number, ptr: number): number {
        const d = fds.get(fd);
        memory.check(ptr, Layout.FDSTAT_SIZE);
        memory.setU8(ptr, d.filetype);
        memory.setU8(ptr + 1, 0);
        memory.setU16(ptr + 2, d.fdflags);
        memory.setU32(ptr + 4, 0);
        memory.setU64(ptr + 8, d.rightsBase);
        memory.setU64(ptr + 16, d.rightsInheriting);
        return 0;
      },
      fd_fdstat_set_flags(fd: number, flags: number): number {
        if (flags > 0x1f) fail(Errno.INVAL);
        fds.get(fd, Rights.FD_FDSTAT_SET_FLAGS).setFdflags(flags);
        return 0;
      },
      fd_fdstat_set_rights(fd: number, signedBase: bigint, signedInheriting: bigint): number {
        const d = fds.get(fd);
        const base = BigInt.asUintN(64, signedBase);
        const inheriting = BigInt.asUintN(64, signedInheriting);
        // Rights can only be dropped.
        if ((base & ~d.rightsBase) !== 0n || (inheriting & ~d.rightsInheriting) !== 0n) fail(Errno.NOTCAPABLE);
        d.rightsBase = base;
        d.rightsInheriting = inheriting;
        return 0;
      },
      fd_filestat_get(fd: number, ptr: number): number {
        writeFilestat(ptr, fds.get(fd, Rights.FD_FILESTAT_GET));
        return 0;
      },
      fd_filestat_set_size(fd: number, size: bigint): number {
        fds.get(fd, Rights.FD_FILESTAT_SET_SIZE).setSize(size);
        return 0;
      },
      fd_filestat_set_times(fd: number, atim: bigint, mtim: bigint, flags: number): number {
        const [a, m] = timesFromFlags(atim, mtim, flags);
        fds.get(fd, Rights.FD_FILESTAT_SET_TIMES).setTimes(a, m);
        return 0;
      },
      fd_pread(fd: number, iovs: number, iovsLen: number, offset: bigint, nreadPtr: number): number {
        const d = fds.get(fd, Rights.FD_READ | Rights.FD_SEEK);
        if (offset < 0n) fail(Errno.INVAL);
        memory.setU32(nreadPtr, d.pread(memory.iovecs(iovs, iovsLen), offset));
        return 0;
      },
      fd_pwrite(fd: number, iovs: number, iovsLen: number, offset: bigint, nwrittenPtr: number): number {
        const d = fds.get(fd, Rights.FD_WRITE | Rights.FD_SEEK);
        if (offset < 0n) fail(Errno.INVAL);
        memory.setU32(nwrittenPtr, d.pwrite(memory.iovecs(iovs, iovsLen), offset));
        return 0;
      },
      fd_prestat_get(fd: number, ptr: number): number {
        const d = fds.get(fd);
        if (!(d instanceof DirectoryDescriptor) || d.preopenPath === undefined) fail(Errno.BADF);
        memory.setU32(ptr, 0); // tag: preopentype dir, and padding
        memory.setU32(ptr + 4, encodeUtf8(d.preopenPath).length);
        return 0;
      },
      fd_prestat_dir_name(fd: number, ptr: number, len: number): number {
        const d = fds.get(fd);
        if (!(d instanceof DirectoryDescriptor) || d.preopenPath === undefined) fail(Errno.BADF);
        const name = encodeUtf8(d.preopenPath);
        if (len < name.length) fail(Errno.NAMETOOLONG);
        memory.write(ptr, name);
        return 0;
      },
      fd_readdir(fd: number, buf: number, bufLen: number, cookie: bigint, bufusedPtr: number): number {
        const dir = fds.getAs(fd, DirectoryDescriptor, Rights.FD_READDIR, Errno.NOTDIR);
        memory.check(buf, bufLen);
        const out = Buffer.alloc(bufLen);
        let used = 0;
        let next = cookie;
        for (const entry of dir.entries(cookie)) {
          if (used >= bufLen) break;
          next += 1n;
          const record = Buffer.alloc(Layout.DIRENT_SIZE + entry.name.length);
          record.writeBigUInt64LE(next, 0);
          record.writeBigUInt64LE(entry.ino, 8);
          record.writeUInt32LE(entry.name.length, 16);
          record.writeUInt8(entry.filetype, 20);
          record.set(entry.name, Layout.DIRENT_SIZE);
          // The last record may be cut short: bufused == buf_len tells the guest to call again.
          used += record.copy(out, used, 0, Math.min(record.length, bufLen - used));
        }
        memory.write(buf, out.subarray(0, used));
        memory.setU32(bufusedPtr, used);
        return 0;
      },
      fd_renumber(from: number, to: number): number {
        fds.renumber(from, to);
        return 0;
      },
      fd_seek(fd: number, offset: bigint, whence: number, newOffsetPtr: number): number {
        const tellOnly = offset === 0n && whence === Whence.CUR;
        const d = fds.get(fd, tellOnly ? Rights.FD_TELL : Rights.FD_SEEK);
        memory.setU64(newOffsetPtr, d.seek(offset, whence));
        return 0;
      },
      fd_tell(fd: number, ptr: number): number {
        memory.setU64(ptr, fds.get(fd, Rights.FD_TELL).seek(0n, Whence.CUR));
        return 0;
      },
    },
    waiting: {
      fd_read(fd: number, iovs: number, iovsLen: number, nreadPtr: number): number | Promise<number> {
        const d = fds.get(fd, Rights.FD_READ);
        return thenStore(d.read(() => memory.iovecs(iovs, iovsLen)), (n) => memory.setU32(nreadPtr, n));
      },
      fd_write(fd: number, iovs: number, iovsLen: number, nwrittenPtr: number): number | Promise<number> {
        const d = fds.get(fd, Rights.FD_WRITE);
        return thenStore(d.write(memory.iovecs(iovs, iovsLen)), (n) => memory.setU32(nwrittenPtr, n));
      },
    },
  };
}

/** Writes a `$filestat` record (64 bytes). */
export function storeFilestat(memory: MemoryView, ptr: number, stat: Filestat): void {
  memory.check(ptr, Layout.FILESTAT_SIZE);
  memory.write(ptr, new Uint8Array(Layout.FILESTAT_SIZE));
  memory.setU64(ptr, stat.dev);
  memory.setU64(ptr + 8, stat.ino);
  memory.setU8(ptr + 16, stat.filetype);
  memory.setU64(ptr + 24, stat.nlink);
  memory.setU64(ptr + 32, stat.size);
  memory.setU64(ptr + 40, stat.atim);
  memory.setU64(ptr + 48, stat.mtim);
  memory.setU64(ptr + 56, stat.ctim);
}

/** Decodes fst_flags into what setTimes takes; ATIM with ATIM_NOW (or MTIM with MTIM_NOW) is EINVAL. */
export function timesFromFlags(atim: bigint, mtim: bigint, flags: number): [bigint | null | 'now', bigint | null | 'now'] {
  if (flags > 0xf) fail(Errno.INVAL);
  if ((flags & FstFlags.ATIM) !== 0 && (flags & FstFlags.ATIM_NOW) !== 0) fail(Errno.INVAL);
  if ((flags & FstFlags.MTIM) !== 0 && (flags & FstFlags.MTIM_NOW) !== 0) fail(Errno.INVAL);
  const a = (flags & FstFlags.ATIM_NOW) !== 0 ? 'now' : (flags & FstFlags.ATIM) !== 0 ? atim : null;
  const m = (flags & FstFlags.MTIM_NOW) !== 0 ? 'now' : (flags & FstFlags.MTIM) !== 0 ? mtim : null;
  return [a, m];
}
