import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { FdFlags, Filetype, OFlags, Rights } from '../../../src/wasi/abi.js';
import { Errno } from '../../../src/wasi/errno.js';
import { Probe, tempDir } from './helpers.js';

let rootfs: string;
let probe: Probe;

beforeEach(async () => {
  rootfs = tempDir('wasi-fs-');
  probe = await Probe.create({ preopens: [{ guestPath: '/', hostPath: rootfs }] });
});

const host = (p: string): string => path.join(rootfs, p);

async function pathCall(name: string, p: string, dirFd = 3): Promise<number> {
  const len = probe.put(0x8000, p);
  return probe.call(name, dirFd, 0x8000, len);
}

async function create(p: string, oflags: number = OFlags.CREAT, fdflags = 0): Promise<number> {
  const [errno, fd] = await probe.open(3, p, { oflags, fdflags });
  expect(errno).toBe(0);
  return fd;
}

describe('creating and writing files', () => {
  it('creates a file with CREAT|EXCL and refuses a second time with EEXIST', async () => {
    const fd = await create('new.txt', OFlags.CREAT | OFlags.EXCL);
    expect(await probe.write(fd, 'written by the guest')).toEqual([0, 20]);
    expect(fs.readFileSync(host('new.txt'), 'utf8')).toBe('written by the guest');
    expect((await probe.open(3, 'new.txt', { oflags: OFlags.CREAT | OFlags.EXCL }))[0]).toBe(Errno.EXIST);
  });

  it('truncates with TRUNC', async () => {
    fs.writeFileSync(host('t.txt'), 'long old content');
    const fd = await create('t.txt', OFlags.TRUNC);
    await probe.write(fd, 'new');
    expect(fs.readFileSync(host('t.txt'), 'utf8')).toBe('new');
  });

  it('appends with the APPEND fdflag, and stops appending when the flag is cleared', async () => {
    fs.writeFileSync(host('a.txt'), 'one\n');
    const fd = await create('a.txt', 0, FdFlags.APPEND);
    await probe.write(fd, 'two\n');
    expect(fs.readFileSync(host('a.txt'), 'utf8')).toBe('one\ntwo\n');
    expect(await probe.call('fd_fdstat_get', fd, 0)).toBe(0);
    expect(probe.u16(2)).toBe(FdFlags.APPEND);
    expect(await probe.call('fd_fdstat_set_flags', fd, 0)).toBe(0);
    expect(await probe.call('fd_seek', fd, 0n, 0, 0)).toBe(0);
    await probe.write(fd, 'ONE\n');
    expect(fs.readFileSync(host('a.txt'), 'utf8')).toBe('ONE\ntwo\n');
  });

  it('reads and writes at offsets with fd_pread and fd_pwrite without moving the position', async () => {
    const fd = await create('p.txt');
    await probe.write(fd, 'abcdefgh');
    const len = probe.put(0x10000, 'XY');
    probe.iovec(0x100, 0x10000, len);
    expect(await probe.call('fd_pwrite', fd, 0x100, 1, 2n, 0x108)).toBe(0);
    expect(probe.u32(0x108)).toBe(2);
    probe.iovec(0x100, 0x11000, 4);
    expect(await probe.call('fd_pread', fd, 0x100, 1, 1n, 0x108)).toBe(0);
    expect(probe.bytes(0x11000, probe.u32(0x108)).toString()).toBe('bXYe');
    expect(await probe.call('fd_tell', fd, 0)).toBe(0);
    expect(probe.u64(0)).toBe(8n);
  });

  it('sets the size, allocates, syncs and accepts advice', async () => {
    const fd = await create('s.txt');
    expect(await probe.call('fd_filestat_set_size', fd, 100n)).toBe(0);
    expect(fs.statSync(host('s.txt')).size).toBe(100);
    expect(await probe.call('fd_allocate', fd, 0n, 200n)).toBe(0);
    expect(fs.statSync(host('s.txt')).size).toBe(200);
    expect(await probe.call('fd_sync', fd)).toBe(0);
    expect(await probe.call('fd_datasync', fd)).toBe(0);
    expect(await probe.call('fd_advise', fd, 0n, 10n, 1)).toBe(0);
    expect(await probe.call('fd_advise', fd, 0n, 10n, 9)).toBe(Errno.INVAL);
  });

  it('sets times on an fd and on a path, and refuses ATIM with ATIM_NOW', async () => {
    const fd = await create('time.txt');
    expect(await probe.call('fd_filestat_set_times', fd, 1_000_000_000_000_000_000n, 2_000_000_000_000_000_000n, 1 | 4)).toBe(0);
    let stats = fs.statSync(host('time.txt'));
    expect(Math.round(stats.atimeMs / 1000)).toBe(1_000_000_000);
    expect(Math.round(stats.mtimeMs / 1000)).toBe(2_000_000_000);
    const len = probe.put(0x8000, 'time.txt');
    expect(await probe.call('path_filestat_set_times', 3, 1, 0x8000, len, 0n, 1_500_000_000_000_000_000n, 4)).toBe(0);
    stats = fs.statSync(host('time.txt'));
    expect(Math.round(stats.mtimeMs / 1000)).toBe(1_500_000_000);
    expect(Math.round(stats.atimeMs / 1000)).toBe(1_000_000_000);
    expect(await probe.call('fd_filestat_set_times', fd, 0n, 0n, 1 | 2)).toBe(Errno.INVAL);
  });

  it('answers ENOTCAPABLE once the guest dropped the right it needs', async () => {
    const fd = await create('r.txt');
    expect(await probe.call('fd_fdstat_set_rights', fd, Rights.FD_READ, 0n)).toBe(0);
    expect((await probe.write(fd, 'x'))[0]).toBe(Errno.NOTCAPABLE);
    expect(await probe.call('fd_fdstat_set_rights', fd, Rights.FD_READ | Rights.FD_WRITE, 0n)).toBe(Errno.NOTCAPABLE);
  });

  it('answers EBADF when writing a file opened read-only', async () => {
    fs.writeFileSync(host('ro.txt'), 'x');
    const [, fd] = await probe.open(3, 'ro.txt', { rights: Rights.FD_READ | Rights.FD_SEEK });
    expect((await probe.write(fd, 'y'))[0]).toBe(Errno.BADF);
  });
});

describe('directories', () => {
  it('creates and removes a directory, refusing a non-empty one', async () => {
    expect(await pathCall('path_create_directory', 'd')).toBe(0);
    expect(await pathCall('path_create_directory', 'd')).toBe(Errno.EXIST);
    expect(fs.statSync(host('d')).isDirectory()).toBe(true);
    fs.writeFileSync(host('d/f'), '');
    expect(await pathCall('path_remove_directory', 'd')).toBe(Errno.NOTEMPTY);
    fs.unlinkSync(host('d/f'));
    expect(await pathCall('path_remove_directory', 'd/')).toBe(0);
    expect(fs.existsSync(host('d'))).toBe(false);
  });

  it('stats a path with path_filestat_get, following symlinks only when asked', async () => {
    fs.writeFileSync(host('f'), '12345');
    fs.symlinkSync('f', host('l'));
    let len = probe.put(0x8000, 'l');
    expect(await probe.call('path_filestat_get', 3, 1, 0x8000, len, 0x9000)).toBe(0);
    expect(probe.u8(0x9000 + 16)).toBe(Filetype.REGULAR_FILE);
    expect(probe.u64(0x9000 + 32)).toBe(5n);
    expect(await probe.call('path_filestat_get', 3, 0, 0x8000, len, 0x9000)).toBe(0);
    expect(probe.u8(0x9000 + 16)).toBe(Filetype.SYMBOLIC_LINK);
    len = probe.put(0x8000, 'f/');
    expect(await probe.call('path_filestat_get', 3, 1, 0x8000, len, 0x9000)).toBe(Errno.NOTDIR);
  });

  it('pages through fd_readdir with cookies when the buffer is small', async () => {
    for (const name of ['alpha', 'beta', 'gamma', 'delta']) fs.writeFileSync(host(name), '');
    const [, dirFd] = await probe.open(3, '.', { oflags: OFlags.DIRECTORY });
    const names: string[] = [];
    let cookie = 0n;
    for (let round = 0; round < 20; round++) {
      expect(await probe.call('fd_readdir', dirFd, 0x4000, 40, cookie, 0)).toBe(0);
      const used = probe.u32(0);
      // Take only whole entries; the last one may be cut short.
      let at = 0x4000;
      while (at + 24 <= 0x4000 + used) {
        const len = probe.u32(at + 16);
        if (at + 24 + len > 0x4000 + used) break;
        names.push(probe.bytes(at + 24, len).toString());
        cookie = probe.u64(at);
        at += 24 + len;
      }
      if (used < 40) break;
    }
    expect(names.sort()).toEqual(['.', '..', 'alpha', 'beta', 'delta', 'gamma']);
  });

  it('answers ENOTDIR for fd_readdir on a file', async () => {
    const fd = await create('file');
    expect(await probe.call('fd_readdir', fd, 0x4000, 100, 0n, 0)).toBe(Errno.NOTDIR);
  });
});

describe('links, renames and removals', () => {
  it('renames files and directories', async () => {
    fs.writeFileSync(host('from'), 'x');
    fs.mkdirSync(host('dir'));
    const a = probe.put(0x8000, 'from');
    const b = probe.put(0x8800, 'dir/to');
    expect(await probe.call('path_rename', 3, 0x8000, a, 3, 0x8800, b)).toBe(0);
    expect(fs.readFileSync(host('dir/to'), 'utf8')).toBe('x');
    const c = probe.put(0x8000, 'dir');
    const d = probe.put(0x8800, 'dir2');
    expect(await probe.call('path_rename', 3, 0x8000, c, 3, 0x8800, d)).toBe(0);
    expect(fs.existsSync(host('dir2/to'))).toBe(true);
  });

  it('creates a symlink and reads it back, truncating to the buffer', async () => {
    const a = probe.put(0x8000, 'some/target');
    const b = probe.put(0x8800, 'link');
    expect(await probe.call('path_symlink', 0x8000, a, 3, 0x8800, b)).toBe(0);
    expect(fs.readlinkSync(host('link'))).toBe('some/target');
    expect(await probe.call('path_readlink', 3, 0x8800, b, 0x9000, 64, 0)).toBe(0);
    expect(probe.bytes(0x9000, probe.u32(0)).toString()).toBe('some/target');
    expect(await probe.call('path_readlink', 3, 0x8800, b, 0x9000, 4, 0)).toBe(0);
    expect(probe.u32(0)).toBe(4);
    expect(probe.bytes(0x9000, 4).toString()).toBe('some');
  });

  it('answers EINVAL for path_readlink on something that is not a symlink', async () => {
    fs.writeFileSync(host('plain'), '');
    const a = probe.put(0x8000, 'plain');
    expect(await probe.call('path_readlink', 3, 0x8000, a, 0x9000, 64, 0)).toBe(Errno.INVAL);
  });

  it('makes hard links', async () => {
    fs.writeFileSync(host('orig'), 'data');
    const a = probe.put(0x8000, 'orig');
    const b = probe.put(0x8800, 'copy');
    expect(await probe.call('path_link', 3, 0, 0x8000, a, 3, 0x8800, b)).toBe(0);
    expect(fs.statSync(host('orig')).nlink).toBe(2);
  });

  it('unlinks files and refuses directories with EISDIR', async () => {
    fs.writeFileSync(host('gone'), '');
    fs.mkdirSync(host('stays'));
    expect(await pathCall('path_unlink_file', 'gone')).toBe(0);
    expect(fs.existsSync(host('gone'))).toBe(false);
    expect(await pathCall('path_unlink_file', 'stays')).toBe(Errno.ISDIR);
    expect(await pathCall('path_unlink_file', 'nothing')).toBe(Errno.NOENT);
  });
});

describe('fd numbering', () => {
  it('renumbers an fd over another, closing the target', async () => {
    fs.writeFileSync(host('one'), '1');
    fs.writeFileSync(host('two'), '2');
    const a = await create('one', 0);
    const b = await create('two', 0);
    expect(await probe.call('fd_renumber', a, b)).toBe(0);
    expect((await probe.read(b))[1]).toBe('1');
    expect(await probe.call('fd_fdstat_get', a, 0)).toBe(Errno.BADF);
    expect(await probe.call('fd_renumber', a, b)).toBe(Errno.BADF);
  });

  it('reuses the lowest free fd number', async () => {
    fs.writeFileSync(host('x'), '');
    const a = await create('x', 0);
    const b = await create('x', 0);
    expect(b).toBe(a + 1);
    await probe.call('fd_close', a);
    expect(await create('x', 0)).toBe(a);
  });
});
