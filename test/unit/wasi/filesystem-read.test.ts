import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { Filetype, OFlags, Rights } from '../../../src/wasi/abi.js';
import { Errno } from '../../../src/wasi/errno.js';
import { Probe, fifoFromWriter, tempDir } from './helpers.js';

let rootfs: string;
let probe: Probe;

beforeEach(async () => {
  rootfs = path.join(tempDir('wasi-rootfs-'), 'rootfs');
  fs.mkdirSync(path.join(rootfs, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(rootfs, 'etc', 'greeting'), 'hello from the rootfs\n');
  probe = await Probe.create({ preopens: [{ guestPath: '/', hostPath: rootfs }] });
});

describe('preopens', () => {
  it('reports the rootfs as preopened directory "/" at fd 3', async () => {
    expect(await probe.call('fd_prestat_get', 3, 0)).toBe(0);
    expect(probe.u8(0)).toBe(0);
    expect(probe.u32(4)).toBe(1);
    expect(await probe.call('fd_prestat_dir_name', 3, 16, 1)).toBe(0);
    expect(probe.bytes(16, 1).toString()).toBe('/');
  });

  it('answers EBADF for fd_prestat_get past the last preopen, which ends the guest libc scan', async () => {
    expect(await probe.call('fd_prestat_get', 4, 0)).toBe(Errno.BADF);
    expect(await probe.call('fd_prestat_get', 1, 0)).toBe(Errno.BADF);
  });

  it('answers ENAMETOOLONG when the name buffer is too small', async () => {
    const p = await Probe.create({ preopens: [{ guestPath: '/data', hostPath: rootfs }] });
    expect(await p.call('fd_prestat_dir_name', 3, 16, 2)).toBe(Errno.NAMETOOLONG);
  });
});

describe('fd_fdstat_get', () => {
  it('describes stdio, a directory and a file', async () => {
    expect(await probe.call('fd_fdstat_get', 3, 0)).toBe(0);
    expect(probe.u8(0)).toBe(Filetype.DIRECTORY);
    expect(probe.u64(8) & Rights.PATH_OPEN).toBe(Rights.PATH_OPEN);
    const [errno, fd] = await probe.open(3, 'etc/greeting');
    expect(errno).toBe(0);
    expect(await probe.call('fd_fdstat_get', fd, 0)).toBe(0);
    expect(probe.u8(0)).toBe(Filetype.REGULAR_FILE);
    expect(probe.u64(8) & Rights.FD_SEEK).toBe(Rights.FD_SEEK);
    expect(await probe.call('fd_fdstat_get', 1, 0)).toBe(0);
    expect(probe.u8(0)).toBe(Filetype.CHARACTER_DEVICE);
  });

  it('answers EBADF for an fd that is not open', async () => {
    expect(await probe.call('fd_fdstat_get', 99, 0)).toBe(Errno.BADF);
  });
});

describe('reading a file in the rootfs', () => {
  it('opens, reads, seeks, stats and closes a file', async () => {
    const [errno, fd] = await probe.open(3, 'etc/greeting');
    expect(errno).toBe(0);
    expect(fd).toBe(4);
    expect(await probe.read(fd, 5)).toEqual([0, 'hello']);
    expect(await probe.read(fd)).toEqual([0, ' from the rootfs\n']);
    expect(await probe.read(fd)).toEqual([0, '']);
    expect(await probe.call('fd_seek', fd, 6n, 0, 0)).toBe(0);
    expect(probe.u64(0)).toBe(6n);
    expect(await probe.read(fd, 4)).toEqual([0, 'from']);
    expect(await probe.call('fd_seek', fd, -6n, 2, 0)).toBe(0);
    expect(probe.u64(0)).toBe(16n);
    expect(await probe.call('fd_tell', fd, 0)).toBe(0);
    expect(probe.u64(0)).toBe(16n);
    expect(await probe.call('fd_filestat_get', fd, 64)).toBe(0);
    expect(probe.u8(64 + 16)).toBe(Filetype.REGULAR_FILE);
    expect(probe.u64(64 + 32)).toBe(22n);
    expect(await probe.call('fd_close', fd)).toBe(0);
    expect(await probe.call('fd_close', fd)).toBe(Errno.BADF);
  });

  it('answers EINVAL for a seek before the start of the file', async () => {
    const [, fd] = await probe.open(3, 'etc/greeting');
    expect(await probe.call('fd_seek', fd, -1n, 0, 0)).toBe(Errno.INVAL);
  });

  it('answers ESPIPE when seeking a pipe', async () => {
    const input = fifoFromWriter(tempDir());
    const p = await Probe.create({ stdin: input.readFd });
    expect(await p.call('fd_seek', 0, 0n, 0, 0)).toBe(Errno.SPIPE);
    input.writer.end();
    await p.host.close();
  });

  it('answers ENOENT for a missing file and ENOTDIR for a file used as a directory', async () => {
    expect((await probe.open(3, 'etc/missing'))[0]).toBe(Errno.NOENT);
    expect((await probe.open(3, 'etc/greeting/x'))[0]).toBe(Errno.NOTDIR);
    expect((await probe.open(3, 'etc/greeting', { oflags: OFlags.DIRECTORY }))[0]).toBe(Errno.NOTDIR);
  });

  it('opens a directory and reads it with fd_readdir including . and ..', async () => {
    const [errno, fd] = await probe.open(3, 'etc', { oflags: OFlags.DIRECTORY });
    expect(errno).toBe(0);
    expect(await probe.call('fd_readdir', fd, 4096, 1024, 0n, 0)).toBe(0);
    const used = probe.u32(0);
    const names: string[] = [];
    for (let at = 4096; at < 4096 + used; ) {
      const len = probe.u32(at + 16);
      names.push(probe.bytes(at + 24, len).toString());
      at += 24 + len;
    }
    expect(names).toEqual(['.', '..', 'greeting']);
  });

  it('reads through a symlink that stays inside the rootfs', async () => {
    fs.symlinkSync('/etc/greeting', path.join(rootfs, 'absolute-link'));
    fs.symlinkSync('etc/greeting', path.join(rootfs, 'relative-link'));
    for (const name of ['absolute-link', 'relative-link']) {
      const [errno, fd] = await probe.open(3, name);
      expect(errno).toBe(0);
      expect((await probe.read(fd))[1]).toBe('hello from the rootfs\n');
    }
  });
});

describe('the sandbox, for reads', () => {
  let secret: string;
  beforeEach(() => {
    secret = path.join(path.dirname(rootfs), 'secret');
    fs.writeFileSync(secret, 'top secret\n');
  });

  it('refuses .. above the preopen with ENOTCAPABLE', async () => {
    expect((await probe.open(3, '../secret'))[0]).toBe(Errno.NOTCAPABLE);
    expect((await probe.open(3, 'etc/../../secret'))[0]).toBe(Errno.NOTCAPABLE);
  });

  it('refuses absolute guest paths with ENOTCAPABLE', async () => {
    expect((await probe.open(3, secret))[0]).toBe(Errno.NOTCAPABLE);
  });

  it('does not follow a relative symlink in the rootfs out of it', async () => {
    fs.symlinkSync('../secret', path.join(rootfs, 'escape'));
    expect((await probe.open(3, 'escape'))[0]).toBe(Errno.NOTCAPABLE);
  });

  it('resolves an absolute symlink in the rootfs against the rootfs, not the host', async () => {
    fs.symlinkSync(secret, path.join(rootfs, 'escape'));
    expect((await probe.open(3, 'escape'))[0]).toBe(Errno.NOENT);
    fs.mkdirSync(path.join(rootfs, path.dirname(secret)), { recursive: true });
    fs.writeFileSync(path.join(rootfs, secret), 'decoy inside\n');
    const [errno, fd] = await probe.open(3, 'escape');
    expect(errno).toBe(0);
    expect((await probe.read(fd))[1]).toBe('decoy inside\n');
  });

  it('refuses to open a final symlink when lookupflags do not say follow', async () => {
    fs.symlinkSync('etc/greeting', path.join(rootfs, 'link'));
    expect((await probe.open(3, 'link', { follow: false }))[0]).toBe(Errno.LOOP);
  });
});
