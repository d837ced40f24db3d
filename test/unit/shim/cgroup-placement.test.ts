import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cgroupHierarchies, cgroupTargets, hierarchyKey, joiningLaunch, processCgroups } from '../../../src/shim/daemon/cgroup-placement.js';

/** A hybrid host's mount table (cgroup v1 controllers, systemd's named hierarchy, v2 beside them), and a bind mount of a cgroup subtree. */
const MOUNTINFO = [
  '30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct',
  '34 30 0:31 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,memory',
  '33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset,clone_children',
  '39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd',
  '40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate',
  '41 30 0:31 /kubepods /mnt/pods rw - cgroup cgroup rw,memory',
].join('\n');

describe('cgroup hierarchies', () => {
  it('lists each whole hierarchy with its controllers, as /proc/<pid>/cgroup keys them', () => {
    const hierarchies = cgroupHierarchies(MOUNTINFO);
    expect(hierarchies).toEqual([
      { mountPoint: '/sys/fs/cgroup/cpu,cpuacct', version: 1, controllers: ['cpu', 'cpuacct'] },
      { mountPoint: '/sys/fs/cgroup/memory', version: 1, controllers: ['memory'] },
      { mountPoint: '/sys/fs/cgroup/cpuset', version: 1, controllers: ['cpuset'] },
      { mountPoint: '/sys/fs/cgroup/systemd', version: 1, controllers: ['name=systemd'] },
      { mountPoint: '/sys/fs/cgroup/unified', version: 2, controllers: [] },
    ]);
    const where = processCgroups('12:cpuacct,cpu:/kubepods\n4:memory:/process_api/x\n1:name=systemd:/init.scope\n0::/\n');
    expect(hierarchies.map((h) => where.get(hierarchyKey(h)))).toEqual(['/kubepods', '/process_api/x', undefined, '/init.scope', '/']);
  });

  it('places a cgroups path in every hierarchy', () => {
    expect(cgroupTargets('/kubepods/pod1/sandbox', MOUNTINFO).map((t) => t.directory)).toEqual([
      '/sys/fs/cgroup/cpu,cpuacct/kubepods/pod1/sandbox',
      '/sys/fs/cgroup/memory/kubepods/pod1/sandbox',
      '/sys/fs/cgroup/cpuset/kubepods/pod1/sandbox',
      '/sys/fs/cgroup/systemd/kubepods/pod1/sandbox',
      '/sys/fs/cgroup/unified/kubepods/pod1/sandbox',
    ]);
  });
});

describe('joiningLaunch', () => {
  it('writes its own pid to every cgroup.procs, then execs the command with that same pid', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wasmts-join-'));
    const procs = [path.join(dir, 'a'), path.join(dir, 'b with space')];
    for (const file of procs) writeFileSync(file, '');
    const launch = joiningLaunch(procs, '/bin/sh', ['-c', 'echo $$ "$@"', 'inner', 'x', '--', 'y']);
    const output = execFileSync(launch.command, launch.args, { encoding: 'utf8' }).trim();
    const [pid, ...rest] = output.split(' ');
    expect(rest).toEqual(['x', '--', 'y']);
    for (const file of procs) expect(readFileSync(file, 'utf8')).toBe(`${pid}\n`);
  });

  it('does not run the command when it cannot join', () => {
    const launch = joiningLaunch(['/nonexistent-dir/cgroup.procs'], '/bin/echo', ['ran']);
    expect(() => execFileSync(launch.command, launch.args, { encoding: 'utf8', stdio: 'pipe' })).toThrow();
  });
});
