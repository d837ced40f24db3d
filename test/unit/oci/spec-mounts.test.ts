import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { resolveEntrypoint } from '../../../src/oci/entrypoint.js';
import { type SpecMount, TMPFS_DIR, planMounts, specMountsFrom } from '../../../src/oci/spec-mounts.js';

let top: string;
let bundle: string;
let rootfs: string;
let hostDir: string;
let hostFile: string;

beforeEach(() => {
  top = fs.mkdtempSync(path.join(os.tmpdir(), 'spec-mounts-'));
  bundle = path.join(top, 'bundle');
  rootfs = path.join(bundle, 'rootfs');
  fs.mkdirSync(path.join(rootfs, 'etc'), { recursive: true });
  fs.mkdirSync(path.join(rootfs, 'run'));
  fs.symlinkSync('../run', path.join(rootfs, 'var-run'));
  fs.writeFileSync(path.join(rootfs, 'etc', 'hosts'), 'image\n');
  hostDir = path.join(top, 'volume');
  fs.mkdirSync(hostDir);
  fs.writeFileSync(path.join(hostDir, 'app.wasm'), 'module bytes');
  hostFile = path.join(top, 'hosts');
  fs.writeFileSync(hostFile, 'pod\n');
});

const bind = (destination: string, source: string, options: string[] = ['rbind', 'rw']): SpecMount => ({ destination, type: 'bind', source, options });

describe('the spec mounts made ready for the guest', () => {
  it('ignore the kernel filesystems a wasm guest has no use for, as ctr, Docker and the CRI write them', () => {
    const defaults = specMountsFrom(
      [
        { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
        { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
        { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
        { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
        { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
      ],
      'config.json',
    );
    const plan = planMounts(defaults, rootfs, bundle);
    expect(plan.mounts).toEqual([]);
    expect(fs.readdirSync(rootfs).sort()).toEqual(['etc', 'run', 'var-run']);
  });

  it('give each tmpfs mount a private directory with its mode, removed by cleanup', () => {
    const plan = planMounts(
      [
        { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
        { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev'] },
      ],
      rootfs,
      bundle,
    );
    expect(plan.mounts).toEqual([
      { guestPath: '/dev', hostPath: path.join(bundle, TMPFS_DIR, '0'), readOnly: false },
      { guestPath: '/tmp', hostPath: path.join(bundle, TMPFS_DIR, '1'), readOnly: false },
    ]);
    expect(fs.statSync(path.join(bundle, TMPFS_DIR, '0')).mode & 0o7777).toBe(0o755);
    expect(fs.statSync(path.join(bundle, TMPFS_DIR, '1')).mode & 0o7777).toBe(0o1777);
    expect(fs.statSync(path.join(rootfs, 'tmp')).isDirectory()).toBe(true);
    plan.cleanup();
    plan.cleanup();
    expect(fs.existsSync(path.join(bundle, TMPFS_DIR))).toBe(false);
  });

  it('make a missing destination in the rootfs, a directory or a file like its source, through the rootfs symlinks', () => {
    const plan = planMounts(
      [bind('/data/deep', hostDir), bind('/var-run/secrets/token', hostFile, ['bind', 'ro']), bind('/etc/hosts', hostFile)],
      rootfs,
      bundle,
    );
    expect(plan.mounts).toEqual([
      { guestPath: '/data/deep', hostPath: hostDir, readOnly: false },
      { guestPath: '/run/secrets/token', hostPath: hostFile, readOnly: true },
      { guestPath: '/etc/hosts', hostPath: hostFile, readOnly: false },
    ]);
    expect(fs.statSync(path.join(rootfs, 'data', 'deep')).isDirectory()).toBe(true);
    expect(fs.statSync(path.join(rootfs, 'run', 'secrets', 'token')).isFile()).toBe(true);
    expect(fs.readFileSync(path.join(rootfs, 'etc', 'hosts'), 'utf8')).toBe('image\n');
  });

  it('make the mount point of a nested mount inside the enclosing mount, as runc does, unless that one is read-only', () => {
    const inner = path.join(top, 'inner');
    fs.mkdirSync(inner);
    const plan = planMounts([bind('/srv', hostDir), bind('/srv/conf/inner', inner)], rootfs, bundle);
    expect(plan.mounts.map((m) => m.guestPath)).toEqual(['/srv', '/srv/conf/inner']);
    expect(fs.statSync(path.join(hostDir, 'conf', 'inner')).isDirectory()).toBe(true);
    expect(() => planMounts([bind('/ro', hostDir, ['rbind', 'ro']), bind('/ro/other/inner', inner)], rootfs, bundle)).toThrow(
      'mount /ro/other/inner: its mount point would be made in a read-only mount',
    );
  });

  it('read ro and rw the way mount(8) does: the last one wins', () => {
    const plan = planMounts([bind('/a', hostDir, ['rbind', 'ro', 'rw']), bind('/b', hostDir, ['rw', 'ro'])], rootfs, bundle);
    expect(plan.mounts.map((m) => m.readOnly)).toEqual([false, true]);
  });

  it('name the mount when its source does not exist, a file meets a directory, or its type is unknown', () => {
    expect(() => planMounts([bind('/data', path.join(top, 'nope'))], rootfs, bundle)).toThrow(
      `mount /data: its source ${path.join(top, 'nope')} does not exist`,
    );
    expect(() => planMounts([bind('/etc', hostFile)], rootfs, bundle)).toThrow(`mount /etc: cannot mount the file ${hostFile} over a directory of the image`);
    expect(() => planMounts([bind('/etc/hosts', hostDir)], rootfs, bundle)).toThrow(
      `mount /etc/hosts: cannot mount the directory ${hostDir} over a file of the image`,
    );
    expect(() => planMounts([{ destination: '/mnt', type: 'nfs', source: 'server:/export', options: [] }], rootfs, bundle)).toThrow(
      'mount /mnt: type "nfs" is not supported',
    );
    expect(() => specMountsFrom([{ destination: 'relative', type: 'bind' }], 'config.json')).toThrow(
      'config.json: mounts[0].destination must be an absolute path',
    );
  });

  it('undo the tmpfs directories already made when a later mount is refused', () => {
    expect(() =>
      planMounts([{ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: [] }, bind('/x', path.join(top, 'missing'))], rootfs, bundle),
    ).toThrow('mount /x');
    expect(fs.existsSync(path.join(bundle, TMPFS_DIR, '0'))).toBe(false);
  });

  it('find a module that lives in a mount', async () => {
    const plan = planMounts([bind('/apps', hostDir, ['rbind', 'ro'])], rootfs, bundle);
    expect(await resolveEntrypoint(rootfs, '/apps/app.wasm', '/', plan.mounts)).toBe(path.join(hostDir, 'app.wasm'));
    expect(await resolveEntrypoint(rootfs, 'app.wasm', '/apps', plan.mounts)).toBe(path.join(hostDir, 'app.wasm'));
  });
});
