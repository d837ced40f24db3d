/**
 * The spec's mounts reach the guest, driven the way users do: `ctr run --mount`
 * (read-write and read-only binds, a file over a file, nested, a module inside
 * a mount), ctr's own tmpfs mounts, `--read-only`, escapes through symlinks in a
 * mount, and the error for a source that does not exist.
 */
import fs from 'node:fs';
import { copyFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../support/fixtures.js';
import { TEST_IMAGES, uniqueId, useContainerd, WASMTS_RUNTIME } from '../support/rig.js';

const containerd = useContainerd();
const FILES = TEST_IMAGES.files.reference;

let top: string;
let volume: string;
let readOnly: string;
let hostsFile: string;

beforeAll(async () => {
  top = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmts-mounts-'));
  volume = path.join(top, 'volume');
  readOnly = path.join(top, 'read-only');
  fs.mkdirSync(volume);
  fs.mkdirSync(readOnly);
  fs.writeFileSync(path.join(volume, 'in.txt'), 'from the host\n');
  fs.writeFileSync(path.join(readOnly, 'kept.txt'), 'keep me\n');
  // Links that would lead to the node's own files if the kernel followed them.
  fs.symlinkSync('/etc', path.join(volume, 'etc-link'));
  fs.symlinkSync('../../../../../../..', path.join(volume, 'up'));
  hostsFile = path.join(top, 'hosts');
  fs.writeFileSync(hostsFile, '10.1.2.3 from-the-mount\n');
  await copyFile(fixturePath('hello.wasm'), path.join(readOnly, 'hello.wasm'));
});

afterAll(() => {
  fs.rmSync(top, { recursive: true, force: true });
});

function bind(source: string, destination: string, options = 'rbind:rw'): string[] {
  return ['--mount', `type=bind,src=${source},dst=${destination},options=${options}`];
}

function run(id: string, flags: string[], args: string[]) {
  return containerd.ctr(['run', '--rm', '--runtime', WASMTS_RUNTIME, ...flags, FILES, id, '/files.wasm', ...args], { timeoutMs: 60_000 });
}

describe('mounts through ctr run --mount', () => {
  it('show a read-write bind mount at its destination, and what the guest writes lands in the host directory', async () => {
    const result = await run(uniqueId('mount-rw'), bind(volume, '/data'), [
      'cat', '/data/in.txt', 'write', '/data/out.txt', 'written by wasm', 'mkdir', '/data/made', 'ls', '/data',
    ]);
    expect(result.stdout).toBe('from the host\nwrote /data/out.txt\netc-link\nin.txt\nmade\nout.txt\nup\n');
    expect(result.code).toBe(0);
    expect(fs.readFileSync(path.join(volume, 'out.txt'), 'utf8')).toBe('written by wasm\n');
    expect(fs.statSync(path.join(volume, 'made')).isDirectory()).toBe(true);
  });

  it('refuse every write through a read-only bind mount with "Read-only file system", and leave the host directory as it was', async () => {
    const result = await run(uniqueId('mount-ro'), bind(readOnly, '/ro', 'rbind:ro'), [
      'cat', '/ro/kept.txt', 'write', '/ro/new.txt', 'x', 'write', '/ro/kept.txt', 'x', 'rm', '/ro/kept.txt',
      'mkdir', '/ro/dir', 'rename', '/ro/kept.txt', '/ro/moved.txt', 'symlink', 'kept.txt', '/ro/link',
    ]);
    expect(result.stdout).toBe(
      [
        'keep me',
        'write /ro/new.txt: Read-only file system',
        'write /ro/kept.txt: Read-only file system',
        'rm /ro/kept.txt: Read-only file system',
        'mkdir /ro/dir: Read-only file system',
        'rename /ro/kept.txt: Read-only file system',
        'symlink /ro/link: Read-only file system',
        '',
      ].join('\n'),
    );
    expect(result.code).toBe(6);
    expect(fs.readdirSync(readOnly).sort()).toEqual(['hello.wasm', 'kept.txt']);
    expect(fs.readFileSync(path.join(readOnly, 'kept.txt'), 'utf8')).toBe('keep me\n');
  });

  it('show a file mounted over a file, a mount nested in another, and a destination that is not in the image', async () => {
    const nested = path.join(top, 'nested');
    fs.mkdirSync(nested, { recursive: true });
    fs.writeFileSync(path.join(nested, 'n.txt'), 'nested\n');
    const result = await run(
      uniqueId('mount-nest'),
      [...bind(hostsFile, '/etc/hosts', 'rbind:ro'), ...bind(volume, '/srv/data'), ...bind(nested, '/srv/data/inner/n', 'rbind:ro')],
      ['cat', '/etc/hosts', 'cat', '/srv/data/in.txt', 'cat', '/srv/data/inner/n/n.txt', 'rm', '/etc/hosts'],
    );
    expect(result.stdout).toBe('10.1.2.3 from-the-mount\nfrom the host\nnested\nrm /etc/hosts: Resource busy\n');
    expect(result.code).toBe(1);
    // The nested mount point was made inside the enclosing mount's directory, as runc makes it.
    expect(fs.statSync(path.join(volume, 'inner', 'n')).isDirectory()).toBe(true);
    expect(fs.readFileSync(hostsFile, 'utf8')).toBe('10.1.2.3 from-the-mount\n');
  });

  it('keep symlinks inside a mount within the container: /etc is the image\'s, and climbing out is refused', async () => {
    const result = await run(uniqueId('mount-esc'), bind(volume, '/data'), [
      'cat', '/data/etc-link/hostname', 'ls', '/data/up', 'cat', '/data/../../etc/passwd', 'symlink', '/etc/passwd', '/data/abs',
    ]);
    expect(result.stdout).toBe(
      [
        'cat /data/etc-link/hostname: No such file or directory',
        'ls /data/up: Capabilities insufficient',
        'cat /data/../../etc/passwd: Capabilities insufficient',
        'symlink /data/abs: Operation not permitted',
        '',
      ].join('\n'),
    );
    expect(result.code).toBe(4);
    expect(fs.existsSync(path.join(volume, 'abs'))).toBe(false);
  });

  it('run a module that lives in a read-only mount', async () => {
    const result = await containerd.ctr(
      ['run', '--rm', '--runtime', WASMTS_RUNTIME, ...bind(readOnly, '/apps', 'rbind:ro'), FILES, uniqueId('mount-mod'), '/apps/hello.wasm'],
      { timeoutMs: 60_000 },
    );
    expect(result.stdout).toBe('hello from wasm\n');
    expect(result.code).toBe(0);
  });

  it("gives each container its own empty /run (ctr's tmpfs) and the devices under /dev by name", async () => {
    const first = await run(uniqueId('mount-tmp'), [], ['write', '/run/mine', 'one', 'ls', '/run', 'write', '/dev/null', 'gone', 'cat', '/dev/null']);
    expect(first.stdout).toBe('wrote /run/mine\nmine\nwrote /dev/null\n');
    expect(first.code).toBe(0);
    const second = await run(uniqueId('mount-tmp'), [], ['ls', '/run']);
    expect(second.stdout).toBe('');
    expect(second.code).toBe(0);
  });

  it('keeps the rootfs read-only with --read-only while its tmpfs mounts stay writable', async () => {
    const result = await run(uniqueId('mount-rofs'), ['--read-only'], ['write', '/new.txt', 'x', 'write', '/run/ok', 'fine']);
    expect(result.stdout).toBe('write /new.txt: Read-only file system\nwrote /run/ok\n');
    expect(result.code).toBe(1);
  });

  it('names the mount when its source does not exist, through ctr, and keeps serving', async () => {
    const missing = path.join(top, 'does-not-exist');
    const result = await run(uniqueId('mount-bad'), bind(missing, '/data'), ['ls', '/data']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`mount /data: its source ${missing} does not exist`);
    const after = await run(uniqueId('mount-after'), bind(volume, '/data'), ['cat', '/data/in.txt']);
    expect(after.stdout).toBe('from the host\n');
  });
});
