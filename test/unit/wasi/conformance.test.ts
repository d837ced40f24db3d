import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { FstFlags, OFlags, Rights } from '../../../src/wasi/abi.js';
import { Errno } from '../../../src/wasi/errno.js';
import { Probe, tempDir } from './helpers.js';

/*
 * Behaviours WebAssembly/wasi-testsuite checks (scripts/wasi-testsuite runs the
 * suite itself), kept here so they hold without a checkout.
 */
let rootfs: string;
let probe: Probe;

beforeEach(async () => {
  rootfs = tempDir('wasi-conformance-');
  probe = await Probe.create({ preopens: [{ guestPath: '/', hostPath: rootfs }] });
});

const host = (p: string): string => path.join(rootfs, p);
const FILESTAT = 0x9000;
const ATIM = FILESTAT + 40;
const MTIM = FILESTAT + 48;

async function pathStat(p: string, follow: boolean): Promise<number> {
  const len = probe.put(0x8000, p);
  return probe.call('path_filestat_get', 3, follow ? 1 : 0, 0x8000, len, FILESTAT);
}

async function pathSetTimes(p: string, follow: boolean, atim: bigint, mtim: bigint, flags: number): Promise<number> {
  const len = probe.put(0x8000, p);
  return probe.call('path_filestat_set_times', 3, follow ? 1 : 0, 0x8000, len, atim, mtim, flags);
}

describe('file times', () => {
  it('reads back to the nanosecond the mtime set through an fd, leaving the atime alone', async () => {
    const [, fd] = await probe.open(3, 'f', { oflags: OFlags.CREAT });
    expect(await probe.call('fd_filestat_get', fd, FILESTAT)).toBe(0);
    const atim = probe.u64(ATIM);
    const mtim = probe.u64(MTIM) - 100n;
    expect(await probe.call('fd_filestat_set_times', fd, mtim, mtim, FstFlags.MTIM)).toBe(0);
    expect(await probe.call('fd_filestat_get', fd, FILESTAT)).toBe(0);
    expect(probe.u64(MTIM)).toBe(mtim);
    expect(probe.u64(ATIM)).toBe(atim);
    // On disk the time is within Node's double-seconds precision.
    const onDisk = fs.statSync(host('f'), { bigint: true }).mtimeNs;
    expect(onDisk - mtim < 1000n && mtim - onDisk < 1000n).toBe(true);
  });

  it('sets the times of a symlink itself without following it, and of its target when asked', async () => {
    fs.writeFileSync(host('target'), '');
    fs.symlinkSync('target', host('link'));
    expect(await pathStat('target', false)).toBe(0);
    const targetMtim = probe.u64(MTIM);
    expect(await pathStat('link', false)).toBe(0);
    const linkMtim = probe.u64(MTIM) - 200n;
    expect(await pathSetTimes('link', false, 0n, linkMtim, FstFlags.MTIM)).toBe(0);
    expect(await pathStat('link', false)).toBe(0);
    expect(probe.u64(MTIM)).toBe(linkMtim);
    expect(await pathStat('target', false)).toBe(0);
    expect(probe.u64(MTIM)).toBe(targetMtim);
    expect(await pathSetTimes('link', true, 0n, targetMtim - 7n, FstFlags.MTIM)).toBe(0);
    expect(await pathStat('target', false)).toBe(0);
    expect(probe.u64(MTIM)).toBe(targetMtim - 7n);
  });

  it('reports the file system time again once something else changed it', async () => {
    const [, fd] = await probe.open(3, 'g', { oflags: OFlags.CREAT });
    expect(await probe.call('fd_filestat_set_times', fd, 0n, 1_700_000_000_123_456_789n, FstFlags.MTIM)).toBe(0);
    fs.utimesSync(host('g'), 1_600_000_000, 1_600_000_000);
    expect(await probe.call('fd_filestat_get', fd, FILESTAT)).toBe(0);
    expect(probe.u64(MTIM)).toBe(1_600_000_000_000_000_000n);
  });

  it('answers ENOTDIR for path_filestat_set_times on a file named with a trailing slash', async () => {
    fs.writeFileSync(host('plain'), '');
    expect(await pathSetTimes('plain/', true, 0n, 0n, FstFlags.MTIM_NOW)).toBe(Errno.NOTDIR);
  });
});

describe('path_open', () => {
  it('answers EISDIR for a directory opened with O_DIRECTORY and the write right, ENOTDIR for a file', async () => {
    fs.mkdirSync(host('d'));
    fs.writeFileSync(host('f'), '');
    expect((await probe.open(3, '.', { oflags: OFlags.DIRECTORY, rights: Rights.FD_READ }))[0]).toBe(0);
    expect((await probe.open(3, '.', { oflags: OFlags.DIRECTORY, rights: Rights.FD_READ | Rights.FD_WRITE }))[0]).toBe(Errno.ISDIR);
    expect((await probe.open(3, 'd', { oflags: OFlags.DIRECTORY, rights: Rights.FD_READ | Rights.FD_WRITE }))[0]).toBe(Errno.ISDIR);
    expect((await probe.open(3, 'f', { oflags: OFlags.DIRECTORY, rights: Rights.FD_READ | Rights.FD_WRITE }))[0]).toBe(Errno.NOTDIR);
  });

  it('answers EINVAL for O_DIRECTORY with O_CREAT, whether or not the name exists', async () => {
    fs.mkdirSync(host('d'));
    expect((await probe.open(3, 'd', { oflags: OFlags.DIRECTORY | OFlags.CREAT }))[0]).toBe(Errno.INVAL);
    expect((await probe.open(3, 'new', { oflags: OFlags.DIRECTORY | OFlags.CREAT }))[0]).toBe(Errno.INVAL);
    expect(fs.existsSync(host('new'))).toBe(false);
  });

  it('needs path_filestat_set_size on the directory to truncate and path_create_file to create', async () => {
    fs.writeFileSync(host('keep'), 'content');
    expect(await probe.call('fd_fdstat_get', 3, 0)).toBe(0);
    const base = probe.u64(8) & ~Rights.PATH_FILESTAT_SET_SIZE & ~Rights.PATH_CREATE_FILE;
    expect(await probe.call('fd_fdstat_set_rights', 3, base, probe.u64(16))).toBe(0);
    expect((await probe.open(3, 'keep', { oflags: OFlags.TRUNC, rights: 0n }))[0]).toBe(Errno.NOTCAPABLE);
    expect(fs.readFileSync(host('keep'), 'utf8')).toBe('content');
    expect((await probe.open(3, 'new', { oflags: OFlags.CREAT }))[0]).toBe(Errno.NOTCAPABLE);
    expect(fs.existsSync(host('new'))).toBe(false);
    expect((await probe.open(3, 'keep', { rights: Rights.FD_READ }))[0]).toBe(0);
  });
});

describe('fd_readdir cookies', () => {
  it('lists nothing from a cookie past the end, including one past 2^63', async () => {
    fs.writeFileSync(host('a'), '');
    const [, dirFd] = await probe.open(3, '.', { oflags: OFlags.DIRECTORY });
    for (const cookie of [3n, 1000n, -1n, -(2n ** 62n)]) {
      expect(await probe.call('fd_readdir', dirFd, 0x1000, 4096, cookie, 0x100)).toBe(0);
      expect(probe.u32(0x100)).toBe(0);
    }
    // Cookie 2 is after '.' and '..': the one file is left.
    expect(await probe.call('fd_readdir', dirFd, 0x1000, 4096, 2n, 0x100)).toBe(0);
    expect(probe.u32(0x100)).toBe(24 + 1);
    expect(probe.u64(0x1000)).toBe(3n);
    expect(probe.bytes(0x1000 + 24, 1).toString()).toBe('a');
  });
});

describe('sizes and offsets past what the kernel takes', () => {
  it('answers EINVAL for fd_allocate of nothing and for fd_filestat_set_size of a u64 past 2^63', async () => {
    const [, fd] = await probe.open(3, 'f', { oflags: OFlags.CREAT });
    await probe.write(fd, 'data');
    expect(await probe.call('fd_allocate', fd, 0n, 0n)).toBe(Errno.INVAL);
    expect(await probe.call('fd_filestat_set_size', fd, -1n)).toBe(Errno.INVAL);
    expect(fs.readFileSync(host('f'), 'utf8')).toBe('data');
    expect(await probe.call('fd_filestat_set_size', fd, 2n ** 60n)).toBe(Errno.FBIG);
  });

  it('answers EINVAL for a seek past the largest offset', async () => {
    const [, fd] = await probe.open(3, 'f', { oflags: OFlags.CREAT });
    expect(await probe.call('fd_seek', fd, 2n ** 63n - 1n, 0, 0)).toBe(0);
    expect(await probe.call('fd_seek', fd, 1n, 1, 0)).toBe(Errno.INVAL);
  });
});
