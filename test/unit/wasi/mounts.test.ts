import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OFlags } from '../../../src/wasi/abi.js';
import { Errno } from '../../../src/wasi/errno.js';
import type { GuestMount } from '../../../src/wasi/index.js';
import { writeConfigMap } from '../../support/config-map.js';
import { Probe, tempDir } from './helpers.js';

/*
 * Layout for every test (the guest's view on the right):
 *   <top>/rootfs/                 /              (etc/hosts, etc/passwd from the "image")
 *   <top>/host/data/              /data          read-write
 *   <top>/host/nested/            /data/nested   read-write, inside another mount
 *   <top>/host/ro/                /ro            read-only
 *   <top>/host/hosts              /etc/hosts     a file over a file, read-write
 *   <top>/host/deep/              /etc/deep      its destination is not in the image (its parent is)
 *   <top>/host/cm/                /config        a ConfigMap volume as kubelet writes it, read-only
 *   <top>/secret                  never reachable
 */
let top: string;
let host: string;
let rootfs: string;
let probe: Probe;
const SECRET = 'top secret\n';
const PATH_FOLLOW = 1;

beforeEach(async () => {
  top = tempDir('wasi-mounts-');
  rootfs = path.join(top, 'rootfs');
  host = path.join(top, 'host');
  fs.mkdirSync(path.join(rootfs, 'etc'), { recursive: true });
  fs.mkdirSync(path.join(rootfs, 'data'));
  fs.mkdirSync(path.join(rootfs, 'ro'));
  fs.writeFileSync(path.join(rootfs, 'etc', 'hosts'), 'from the image\n');
  fs.writeFileSync(path.join(rootfs, 'etc', 'passwd'), 'root:x:0:0\n');
  fs.writeFileSync(path.join(top, 'secret'), SECRET);
  for (const dir of ['data', 'nested', 'ro', 'deep', 'cm']) fs.mkdirSync(path.join(host, dir), { recursive: true });
  fs.writeFileSync(path.join(host, 'data', 'a.txt'), 'on the host\n');
  fs.writeFileSync(path.join(host, 'nested', 'n.txt'), 'nested\n');
  fs.writeFileSync(path.join(host, 'ro', 'r.txt'), 'read only\n');
  fs.mkdirSync(path.join(host, 'ro', 'sub'));
  fs.symlinkSync('/etc', path.join(host, 'ro', 'etc-link'));
  fs.symlinkSync('..', path.join(host, 'ro', 'up'));
  fs.symlinkSync('../..', path.join(host, 'ro', 'out'));
  fs.writeFileSync(path.join(host, 'hosts'), '10.0.0.1 pod\n');
  writeConfigMap(path.join(host, 'cm'), '01', { greeting: 'hello v1\n' });
  const mounts: GuestMount[] = [
    { guestPath: '/data', hostPath: path.join(host, 'data'), readOnly: false },
    { guestPath: '/data/nested', hostPath: path.join(host, 'nested'), readOnly: false },
    { guestPath: '/ro', hostPath: path.join(host, 'ro'), readOnly: true },
    { guestPath: '/etc/hosts', hostPath: path.join(host, 'hosts'), readOnly: false },
    { guestPath: '/etc/deep', hostPath: path.join(host, 'deep'), readOnly: false },
    { guestPath: '/config', hostPath: path.join(host, 'cm'), readOnly: true },
  ];
  probe = await Probe.create({ preopens: [{ guestPath: '/', hostPath: rootfs, mounts }] });
});

afterEach(async () => {
  await probe.host.close();
});

async function readFile(file: string): Promise<[number, string]> {
  const [errno, fd] = await probe.open(3, file, { rights: 2n /* fd_read */ });
  if (errno !== 0) return [errno, ''];
  const result = await probe.read(fd, 65536);
  await probe.call('fd_close', fd);
  return result;
}

async function writeFile(file: string, text: string, oflags = OFlags.CREAT | OFlags.TRUNC): Promise<number> {
  const [errno, fd] = await probe.open(3, file, { oflags, rights: 64n /* fd_write */ });
  if (errno !== 0) return errno;
  const [failed, written] = await probe.write(fd, text);
  await probe.call('fd_close', fd);
  return failed === 0 ? written : failed;
}

async function pathCall(name: string, file: string): Promise<number> {
  const len = probe.put(0x8000, file);
  return probe.call(name, 3, 0x8000, len);
}

async function rename(from: string, to: string): Promise<number> {
  const a = probe.put(0x8000, from);
  const b = probe.put(0x8400, to);
  return probe.call('path_rename', 3, 0x8000, a, 3, 0x8400, b);
}

async function link(from: string, to: string): Promise<number> {
  const a = probe.put(0x8000, from);
  const b = probe.put(0x8400, to);
  return probe.call('path_link', 3, 0, 0x8000, a, 3, 0x8400, b);
}

async function symlink(target: string, at: string): Promise<number> {
  const a = probe.put(0x8000, target);
  const b = probe.put(0x8400, at);
  return probe.call('path_symlink', 0x8000, a, 3, 0x8400, b);
}

async function touch(file: string): Promise<number> {
  const len = probe.put(0x8000, file);
  return probe.call('path_filestat_set_times', 3, PATH_FOLLOW, 0x8000, len, 0n, 0n, 2 /* ATIM_NOW */ | 8 /* MTIM_NOW */);
}

async function list(dir: string): Promise<string[]> {
  const [errno, fd] = await probe.open(3, dir, { oflags: OFlags.DIRECTORY });
  expect(errno).toBe(0);
  expect(await probe.call('fd_readdir', fd, 0x18000, 0x4000, 0n, 0x7fe0)).toBe(0);
  const used = probe.u32(0x7fe0);
  const names: string[] = [];
  for (let at = 0x18000; at + 24 <= 0x18000 + used; ) {
    const len = probe.u32(at + 16);
    names.push(probe.bytes(at + 24, len).toString());
    at += 24 + len;
  }
  await probe.call('fd_close', fd);
  return names.filter((n) => n !== '.' && n !== '..').sort();
}

function secretUntouched(): void {
  expect(fs.readFileSync(path.join(top, 'secret'), 'utf8')).toBe(SECRET);
  expect(fs.readdirSync(top).sort()).toEqual(['host', 'rootfs', 'secret']);
}

describe('mounts laid over the root preopen', () => {
  it('show a read-write directory at its destination, and what the guest writes there lands on the host', async () => {
    expect(await readFile('data/a.txt')).toEqual([0, 'on the host\n']);
    expect(await writeFile('data/b.txt', 'from the guest\n')).toBe(15);
    expect(fs.readFileSync(path.join(host, 'data', 'b.txt'), 'utf8')).toBe('from the guest\n');
    expect(await pathCall('path_create_directory', 'data/made')).toBe(0);
    expect(fs.statSync(path.join(host, 'data', 'made')).isDirectory()).toBe(true);
    // Nothing of it reached the image's own directory under the mount.
    expect(fs.readdirSync(path.join(rootfs, 'data'))).toEqual([]);
  });

  it('show a mount nested under another mount, and one whose destination is not in the image', async () => {
    expect(await readFile('data/nested/n.txt')).toEqual([0, 'nested\n']);
    expect(await readFile('data/../data/nested/./n.txt')).toEqual([0, 'nested\n']);
    expect(await writeFile('etc/deep/f', 'deep\n')).toBe(5);
    expect(fs.readFileSync(path.join(host, 'deep', 'f'), 'utf8')).toBe('deep\n');
  });

  it('show a file mounted over a file, which cannot be removed or replaced', async () => {
    expect(await readFile('etc/hosts')).toEqual([0, '10.0.0.1 pod\n']);
    expect(await readFile('etc/passwd')).toEqual([0, 'root:x:0:0\n']);
    expect(await writeFile('etc/hosts', '10.0.0.2 changed\n')).toBe(17);
    expect(fs.readFileSync(path.join(host, 'hosts'), 'utf8')).toBe('10.0.0.2 changed\n');
    expect(await pathCall('path_unlink_file', 'etc/hosts')).toBe(Errno.BUSY);
    expect(await rename('etc/passwd', 'etc/hosts')).toBe(Errno.BUSY);
    expect(await rename('etc/hosts', 'etc/hosts2')).toBe(Errno.BUSY);
    expect(await pathCall('path_remove_directory', 'data')).toBe(Errno.BUSY);
    expect(await rename('data', 'data2')).toBe(Errno.BUSY);
    expect(fs.readFileSync(path.join(host, 'hosts'), 'utf8')).toBe('10.0.0.2 changed\n');
    expect(fs.readFileSync(path.join(rootfs, 'etc', 'hosts'), 'utf8')).toBe('from the image\n');
  });

  it('refuse every change through a read-only mount the way a read-only filesystem does', async () => {
    expect(await readFile('ro/r.txt')).toEqual([0, 'read only\n']);
    expect(await writeFile('ro/r.txt', 'x', 0)).toBe(Errno.ROFS);
    expect(await writeFile('ro/new.txt', 'x')).toBe(Errno.ROFS);
    expect((await probe.open(3, 'ro/r.txt', { oflags: OFlags.TRUNC, rights: 2n }))[0]).toBe(Errno.ROFS);
    expect((await probe.open(3, 'ro/created', { oflags: OFlags.CREAT, rights: 2n }))[0]).toBe(Errno.ROFS);
    expect(await rename('ro/r.txt', 'ro/s.txt')).toBe(Errno.ROFS);
    expect(await pathCall('path_unlink_file', 'ro/r.txt')).toBe(Errno.ROFS);
    expect(await pathCall('path_create_directory', 'ro/d')).toBe(Errno.ROFS);
    expect(await pathCall('path_remove_directory', 'ro/sub')).toBe(Errno.ROFS);
    expect(await link('ro/r.txt', 'ro/hard')).toBe(Errno.ROFS);
    expect(await symlink('r.txt', 'ro/soft')).toBe(Errno.ROFS);
    expect(await touch('ro/r.txt')).toBe(Errno.ROFS);
    // Through an fd opened for reading, and through the mounted directory itself.
    const [, fd] = await probe.open(3, 'ro/r.txt', { rights: 2n | (1n << 21n) /* fd_filestat_set_times */ });
    expect(await probe.call('fd_filestat_set_times', fd, 0n, 0n, 2 | 8)).toBe(Errno.ROFS);
    const [, dirFd] = await probe.open(3, 'ro/sub', { oflags: OFlags.DIRECTORY });
    const len = probe.put(0x8000, 'inner');
    expect(await probe.call('path_create_directory', dirFd, 0x8000, len)).toBe(Errno.ROFS);
    expect(await probe.call('fd_filestat_set_times', dirFd, 0n, 0n, 2 | 8)).toBe(Errno.ROFS);
    expect(fs.readdirSync(path.join(host, 'ro')).sort()).toEqual(['etc-link', 'out', 'r.txt', 'sub', 'up']);
    expect(fs.readdirSync(path.join(host, 'ro', 'sub'))).toEqual([]);
  });

  it('never give a read-only file a writable name: a hard link or rename across mounts is EXDEV', async () => {
    expect(await link('ro/r.txt', 'data/stolen')).toBe(Errno.XDEV);
    expect(await link('etc/passwd', 'data/passwd')).toBe(Errno.XDEV);
    expect(await rename('data/a.txt', 'a.txt')).toBe(Errno.XDEV);
    expect(fs.readdirSync(path.join(host, 'data'))).toEqual(['a.txt']);
  });

  it('resolve symlinks inside a mount within the container: absolute from its root, .. back through the mount point', async () => {
    // /ro/etc-link -> /etc is the container's /etc, not the host's.
    expect(await readFile('ro/etc-link/passwd')).toEqual([0, 'root:x:0:0\n']);
    expect(await readFile('ro/etc-link/hosts')).toEqual([0, '10.0.0.1 pod\n']);
    // /ro/up -> .. climbs from /ro back to /; /ro/out -> ../.. would leave it and is refused.
    expect(await readFile('ro/up/etc/passwd')).toEqual([0, 'root:x:0:0\n']);
    expect((await readFile('ro/out/secret'))[0]).toBe(Errno.NOTCAPABLE);
    expect(await readFile('ro/../etc/passwd')).toEqual([0, 'root:x:0:0\n']);
    expect((await readFile('ro/../../secret'))[0]).toBe(Errno.NOTCAPABLE);
    // A symlink the guest makes in a writable mount stays inside too.
    expect(await symlink('../../../../../../secret', 'data/out')).toBe(0);
    expect((await readFile('data/out'))[0]).toBe(Errno.NOTCAPABLE);
    secretUntouched();
  });

  it('do not let a directory swapped for a symlink between two calls inside a mount lead outside', async () => {
    const [, dirFd] = await probe.open(3, 'data/nested', { oflags: OFlags.DIRECTORY });
    fs.renameSync(path.join(host, 'nested'), path.join(host, 'nested-moved'));
    fs.symlinkSync(top, path.join(host, 'nested'));
    // The mount holds the directory it was given, as a bind mount does.
    expect(await readFile('data/nested/n.txt')).toEqual([0, 'nested\n']);
    const len = probe.put(0x8000, 'secret');
    expect(await probe.call('path_filestat_get', dirFd, 0, 0x8000, len, 0x9000)).toBe(Errno.NOENT);
    expect((await readFile('data/nested/secret'))[0]).toBe(Errno.NOENT);
    secretUntouched();
  });

  it('read a ConfigMap volume as kubelet lays it out, and see an update once the file is opened again', async () => {
    expect(await readFile('config/greeting')).toEqual([0, 'hello v1\n']);
    expect(await list('config')).toEqual(['..2026_12_06_01', '..data', 'greeting']);
    writeConfigMap(path.join(host, 'cm'), '02', { greeting: 'hello v2\n' });
    expect(await readFile('config/greeting')).toEqual([0, 'hello v2\n']);
  });

  it('open /dev/null, /dev/zero and /dev/urandom by name as the devices, even with a mount over /dev', async () => {
    fs.mkdirSync(path.join(host, 'devdir'));
    await probe.host.close();
    probe = await Probe.create({
      preopens: [{ guestPath: '/', hostPath: rootfs, mounts: [{ guestPath: '/dev', hostPath: path.join(host, 'devdir'), readOnly: false }] }],
    });
    expect(await writeFile('dev/null', 'gone', 0)).toBe(4);
    expect(await readFile('dev/null')).toEqual([0, '']);
    const [, zero] = await probe.open(3, 'dev/zero', { rights: 2n });
    const [errno, text] = await probe.read(zero, 16);
    expect([errno, text]).toEqual([0, '\0'.repeat(16)]);
    const [, random] = await probe.open(3, 'dev/urandom', { rights: 2n });
    expect((await probe.read(random, 32))[1].length).toBeGreaterThan(0);
    expect(await pathCall('path_unlink_file', 'dev/null')).toBe(Errno.BUSY);
    expect(await touch('dev/null')).toBe(Errno.PERM);
    expect(await writeFile('dev/other', 'kept\n')).toBe(5);
    expect(fs.readFileSync(path.join(host, 'devdir', 'other'), 'utf8')).toBe('kept\n');
    expect(fs.statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('let a later mount at or above an earlier one hide it, as mounting over it does', async () => {
    await probe.host.close();
    probe = await Probe.create({
      preopens: [{
        guestPath: '/', hostPath: rootfs, mounts: [
          { guestPath: '/data/nested', hostPath: path.join(host, 'nested'), readOnly: false },
          { guestPath: '/data', hostPath: path.join(host, 'data'), readOnly: false },
        ],
      }],
    });
    expect(await readFile('data/a.txt')).toEqual([0, 'on the host\n']);
    expect((await readFile('data/nested/n.txt'))[0]).toBe(Errno.NOENT);
  });

  it('keep a read-only root read-only, while its read-write mounts take writes', async () => {
    await probe.host.close();
    probe = await Probe.create({
      preopens: [{ guestPath: '/', hostPath: rootfs, readOnly: true, mounts: [{ guestPath: '/data', hostPath: path.join(host, 'data'), readOnly: false }] }],
    });
    expect(await writeFile('etc/new', 'x')).toBe(Errno.ROFS);
    expect(await writeFile('data/ok', 'fine\n')).toBe(5);
    expect(fs.readFileSync(path.join(host, 'data', 'ok'), 'utf8')).toBe('fine\n');
  });
});
