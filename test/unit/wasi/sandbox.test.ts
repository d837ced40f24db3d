import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { OFlags } from '../../../src/wasi/abi.js';
import { Errno } from '../../../src/wasi/errno.js';
import { Probe, tempDir } from './helpers.js';

/*
 * Layout for every test:
 *   <top>/secret             a file the guest must never reach
 *   <top>/outside/           a directory the guest must never reach
 *   <top>/rootfs/            the preopen '/', fd 3
 */
let top: string;
let rootfs: string;
let probe: Probe;
const SECRET = 'top secret\n';

beforeEach(async () => {
  top = tempDir('wasi-sandbox-');
  rootfs = path.join(top, 'rootfs');
  fs.mkdirSync(path.join(rootfs, 'sub'), { recursive: true });
  fs.mkdirSync(path.join(top, 'outside'));
  fs.writeFileSync(path.join(top, 'secret'), SECRET);
  fs.writeFileSync(path.join(top, 'outside', 'secret'), SECRET);
  fs.writeFileSync(path.join(rootfs, 'file'), 'inside\n');
  probe = await Probe.create({ preopens: [{ guestPath: '/', hostPath: rootfs }] });
});

function outsideUntouched(): void {
  expect(fs.readFileSync(path.join(top, 'secret'), 'utf8')).toBe(SECRET);
  expect(fs.readdirSync(top).sort()).toEqual(['outside', 'rootfs', 'secret']);
  expect(fs.readdirSync(path.join(top, 'outside'))).toEqual(['secret']);
  expect(fs.readFileSync(path.join(top, 'outside', 'secret'), 'utf8')).toBe(SECRET);
}

async function stat(p: string, follow = true): Promise<number> {
  const len = probe.put(0x8000, p);
  return probe.call('path_filestat_get', 3, follow ? 1 : 0, 0x8000, len, 0x9000);
}

async function pathCall(name: string, p: string): Promise<number> {
  const len = probe.put(0x8000, p);
  return probe.call(name, 3, 0x8000, len);
}

async function twoPathCall(name: 'path_rename' | 'path_link', from: string, to: string, follow = false): Promise<number> {
  const a = probe.put(0x8000, from);
  const b = probe.put(0x8800, to);
  if (name === 'path_link') return probe.call(name, 3, follow ? 1 : 0, 0x8000, a, 3, 0x8800, b);
  return probe.call(name, 3, 0x8000, a, 3, 0x8800, b);
}

async function symlink(target: string, at: string): Promise<number> {
  const a = probe.put(0x8000, target);
  const b = probe.put(0x8800, at);
  return probe.call('path_symlink', 0x8000, a, 3, 0x8800, b);
}

describe('the sandbox keeps the guest inside its preopen', () => {
  it('refuses .. out of the preopen for every kind of call', async () => {
    expect((await probe.open(3, '../secret'))[0]).toBe(Errno.NOTCAPABLE);
    expect((await probe.open(3, 'sub/../../secret'))[0]).toBe(Errno.NOTCAPABLE);
    expect((await probe.open(3, '../new', { oflags: OFlags.CREAT }))[0]).toBe(Errno.NOTCAPABLE);
    expect(await stat('../secret')).toBe(Errno.NOTCAPABLE);
    expect(await pathCall('path_create_directory', '../newdir')).toBe(Errno.NOTCAPABLE);
    expect(await pathCall('path_unlink_file', '../secret')).toBe(Errno.NOTCAPABLE);
    expect(await pathCall('path_remove_directory', '../outside')).toBe(Errno.NOTCAPABLE);
    expect(await twoPathCall('path_rename', '../secret', 'stolen')).toBe(Errno.NOTCAPABLE);
    expect(await twoPathCall('path_rename', 'file', '../planted')).toBe(Errno.NOTCAPABLE);
    expect(await twoPathCall('path_link', '../secret', 'stolen')).toBe(Errno.NOTCAPABLE);
    expect(await symlink('x', '../planted')).toBe(Errno.NOTCAPABLE);
    expect((await probe.open(3, '..', { oflags: OFlags.DIRECTORY }))[0]).toBe(Errno.NOTCAPABLE);
    outsideUntouched();
  });

  it('refuses absolute guest paths', async () => {
    expect((await probe.open(3, path.join(top, 'secret')))[0]).toBe(Errno.NOTCAPABLE);
    expect(await stat('/file')).toBe(Errno.NOTCAPABLE);
    outsideUntouched();
  });

  it('does not follow a relative symlink in the rootfs out of it, directly or through a chain', async () => {
    fs.symlinkSync('../secret', path.join(rootfs, 'up'));
    fs.symlinkSync('up', path.join(rootfs, 'chain1'));
    fs.symlinkSync('sub/../chain1', path.join(rootfs, 'chain2'));
    fs.symlinkSync('../outside', path.join(rootfs, 'outdir'));
    for (const name of ['up', 'chain1', 'chain2', 'outdir/secret']) {
      expect((await probe.open(3, name))[0]).toBe(Errno.NOTCAPABLE);
      expect(await stat(name)).toBe(Errno.NOTCAPABLE);
    }
    expect((await probe.open(3, 'outdir', { oflags: OFlags.DIRECTORY }))[0]).toBe(Errno.NOTCAPABLE);
    expect((await probe.open(3, 'outdir/new', { oflags: OFlags.CREAT }))[0]).toBe(Errno.NOTCAPABLE);
    expect(await pathCall('path_unlink_file', 'outdir/secret')).toBe(Errno.NOTCAPABLE);
    expect(await twoPathCall('path_rename', 'outdir/secret', 'stolen')).toBe(Errno.NOTCAPABLE);
    expect(await twoPathCall('path_link', 'up', 'stolen', true)).toBe(Errno.NOTCAPABLE);
    outsideUntouched();
  });

  it('reads an absolute symlink in the rootfs as relative to the rootfs', async () => {
    fs.symlinkSync(path.join(top, 'secret'), path.join(rootfs, 'abs'));
    fs.symlinkSync(path.join(top, 'outside'), path.join(rootfs, 'absdir'));
    expect((await probe.open(3, 'abs'))[0]).toBe(Errno.NOENT);
    expect((await probe.open(3, 'absdir/secret'))[0]).toBe(Errno.NOENT);
    expect((await probe.open(3, 'absdir/new', { oflags: OFlags.CREAT }))[0]).toBe(Errno.NOENT);
    fs.symlinkSync('/file', path.join(rootfs, 'abs-inside'));
    const [errno, fd] = await probe.open(3, 'abs-inside');
    expect(errno).toBe(0);
    expect((await probe.read(fd))[1]).toBe('inside\n');
    outsideUntouched();
  });

  it('stops at symlink loops with ELOOP', async () => {
    fs.symlinkSync('loop-b', path.join(rootfs, 'loop-a'));
    fs.symlinkSync('loop-a', path.join(rootfs, 'loop-b'));
    fs.symlinkSync('self/x', path.join(rootfs, 'self'));
    expect((await probe.open(3, 'loop-a'))[0]).toBe(Errno.LOOP);
    expect((await probe.open(3, 'self'))[0]).toBe(Errno.LOOP);
    expect(await stat('loop-a/x')).toBe(Errno.LOOP);
  });

  it('keeps symlinks the guest creates inside too', async () => {
    expect(await symlink('../secret', 'mine')).toBe(0);
    // An absolute target names no preopen: refused when created, as wasmtime does.
    expect(await symlink(path.join(top, 'outside'), 'mine-abs')).toBe(Errno.PERM);
    expect(await symlink('/', 'mine-root')).toBe(Errno.PERM);
    expect((await probe.open(3, 'mine'))[0]).toBe(Errno.NOTCAPABLE);
    expect(await twoPathCall('path_link', 'mine', 'hard', true)).toBe(Errno.NOTCAPABLE);
    // Linking the symlink itself (no follow) is allowed and still cannot be followed out.
    expect(await twoPathCall('path_link', 'mine', 'hard', false)).toBe(0);
    expect((await probe.open(3, 'hard'))[0]).toBe(Errno.NOTCAPABLE);
    expect(await symlink('sub', 'ok')).toBe(0);
    expect((await probe.open(3, 'ok', { oflags: OFlags.DIRECTORY }))[0]).toBe(0);
    outsideUntouched();
  });

  it('does not let a directory swapped for a symlink between two calls lead outside', async () => {
    fs.writeFileSync(path.join(rootfs, 'sub', 'secret'), 'decoy\n');
    const [errno, subFd] = await probe.open(3, 'sub', { oflags: OFlags.DIRECTORY });
    expect(errno).toBe(0);
    fs.renameSync(path.join(rootfs, 'sub'), path.join(rootfs, 'moved'));
    fs.symlinkSync('../outside', path.join(rootfs, 'sub'));
    // The open fd still means the directory that was opened, wherever it went.
    const [e1, fd1] = await probe.open(subFd, 'secret');
    expect(e1).toBe(0);
    expect((await probe.read(fd1))[1]).toBe('decoy\n');
    // A fresh lookup meets the symlink and refuses it.
    expect((await probe.open(3, 'sub/secret'))[0]).toBe(Errno.NOTCAPABLE);
    // And .. from a directory fd may not climb out of it.
    expect((await probe.open(subFd, '../file'))[0]).toBe(Errno.NOTCAPABLE);
    outsideUntouched();
  });

  it('does not follow a final symlink where the call must not follow one', async () => {
    fs.symlinkSync('../secret', path.join(rootfs, 'up'));
    expect(await stat('up', false)).toBe(0); // the link itself
    expect(await pathCall('path_unlink_file', 'up')).toBe(0); // removes the link, not the target
    fs.symlinkSync('../outside', path.join(rootfs, 'updir'));
    expect(await pathCall('path_remove_directory', 'updir')).toBe(Errno.NOTDIR);
    expect((await probe.open(3, 'up2', { oflags: OFlags.CREAT | OFlags.EXCL }))[0]).toBe(0);
    fs.symlinkSync('../secret', path.join(rootfs, 'up3'));
    expect((await probe.open(3, 'up3', { oflags: OFlags.CREAT | OFlags.EXCL }))[0]).toBe(Errno.EXIST);
    expect((await probe.open(3, 'up3', { oflags: OFlags.CREAT | OFlags.TRUNC }))[0]).toBe(Errno.NOTCAPABLE);
    outsideUntouched();
  });
});
