/**
 * Puts the daemon of a Kubernetes pod in the pod's cgroup, as runc puts the
 * pod's processes there: the sandbox's `linux.cgroupsPath` (below kubelet's
 * pod cgroup) in every mounted hierarchy, cgroup v1 and v2 alike. The kernel
 * then applies the pod's CPU and memory limits to the daemon, which runs every
 * container of the pod, and containerd's PodSandboxStats reads the daemon's
 * use from the pod cgroup. `start` launches a pod's daemon inside the cgroup
 * (joiningLaunch), or a warm spare claimed for the pod joins it (joinCgroups);
 * the daemon checks at the sandbox's Create and leaves at its Delete.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError } from '../../errors.js';
import { cgroupDirectory } from '../../oci/cgroups-path.js';
import type { CgroupJoiner, Logger } from '../../task/collaborators.js';
import { stopCommandShell } from '../../oci/command-shell.js';

export interface CgroupHierarchy {
  mountPoint: string;
  version: 1 | 2;
  /** v1: the controllers (and `name=…`) in its mount options, as /proc/<pid>/cgroup lists them; v2: empty. */
  controllers: string[];
}

const MOUNT_FLAGS = new Set(['rw', 'ro', 'nosuid', 'nodev', 'noexec', 'relatime', 'noatime', 'strictatime', 'nsdelegate', 'memory_recursiveprot', 'clone_children', 'noprefix', 'xattr', 'cpuset_v2_mode', 'memory_localevents', 'favordynmods']);

/** The cgroup hierarchies of a mount table (/proc/self/mountinfo): whole hierarchies only (a mount of the root). */
export function cgroupHierarchies(mountinfo: string): CgroupHierarchy[] {
  const hierarchies: CgroupHierarchy[] = [];
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (left === undefined || right === undefined) continue;
    const fields = left.split(' ');
    const [fsType, , superOptions = ''] = right.split(' ');
    const root = fields[3];
    const mountPoint = fields[4]?.replace(/\\040/g, ' ');
    if (root !== '/' || mountPoint === undefined) continue;
    if (fsType === 'cgroup2') hierarchies.push({ mountPoint, version: 2, controllers: [] });
    if (fsType === 'cgroup') {
      const controllers = superOptions.split(',').filter((o) => !MOUNT_FLAGS.has(o) && !o.startsWith('release_agent='));
      hierarchies.push({ mountPoint, version: 1, controllers });
    }
  }
  return hierarchies;
}

/** A process's cgroup in each hierarchy (/proc/<pid>/cgroup), keyed as hierarchyKey names them. */
export function processCgroups(procCgroup: string): Map<string, string> {
  const cgroups = new Map<string, string>();
  for (const line of procCgroup.split('\n')) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line);
    if (match === null) continue;
    cgroups.set(match[1] === '' ? '' : match[1]!.split(',').sort().join(','), match[2]!);
  }
  return cgroups;
}

export function hierarchyKey(hierarchy: CgroupHierarchy): string {
  return hierarchy.version === 2 ? '' : [...hierarchy.controllers].sort().join(',');
}

/** One hierarchy's directory for a cgroups path. */
export interface CgroupTarget {
  hierarchy: CgroupHierarchy;
  directory: string;
}

/** The directories of `cgroupsPath` in every hierarchy mounted here. */
export function cgroupTargets(cgroupsPath: string, mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): CgroupTarget[] {
  const relative = cgroupDirectory(cgroupsPath);
  return cgroupHierarchies(mountinfo).map((hierarchy) => ({ hierarchy, directory: path.join(hierarchy.mountPoint, relative) }));
}

/** Named hierarchies (systemd's bookkeeping) carry no limits: failing to join one is worth a warning only. */
export function isNamedOnly(hierarchy: CgroupHierarchy): boolean {
  return hierarchy.controllers.length > 0 && hierarchy.controllers.every((c) => c.startsWith('name='));
}

/**
 * Makes the cgroup directories (and gives a new cpuset cgroup its parent's CPUs
 * and memory nodes, without which it takes no process). Returns the
 * `cgroup.procs` files to write a pid to; throws, naming the directory, when a
 * hierarchy with controllers cannot have it.
 */
export function makeCgroups(targets: readonly CgroupTarget[], cgroupsPath: string): string[] {
  const procs: string[] = [];
  for (const { hierarchy, directory } of targets) {
    try {
      mkdirSync(directory, { recursive: true });
      if (hierarchy.controllers.includes('cpuset')) inheritCpuset(hierarchy.mountPoint, directory);
      procs.push(path.join(directory, 'cgroup.procs'));
    } catch (cause) {
      if (isNamedOnly(hierarchy)) continue;
      throw new InvalidArgumentError(`cannot make the pod's cgroup ${cgroupsPath} (${directory}): ${(cause as Error).message}`, { cause });
    }
  }
  return procs;
}

/**
 * A command line that joins the cgroups (`procs` files) and then execs
 * `command args…`, keeping its pid: what `start` runs a pod's daemon through,
 * so that all its memory, from its first page, counts to the pod (the kernel
 * does not move a process's earlier memory to its new cgroup).
 */
export function joiningLaunch(procs: readonly string[], command: string, args: readonly string[]): { command: string; args: string[] } {
  const script = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 1; shift; done; shift; exec "$@"';
  return { command: '/bin/sh', args: ['-c', script, 'wasmts-cgroup-join', ...procs, '--', command, ...args] };
}

/**
 * Moves the live process `pid` into the cgroups (`procs` files): how a warm
 * spare claimed for a pod joins it. Unlike a daemon launched there, the memory
 * it allocated before stays charged where it was born (the kernel does not move
 * it): Node.js and the runtime's code, as a runc pod's shim is charged outside
 * the pod; whatever its guests use from then on counts to the pod.
 */
export async function joinCgroups(procs: readonly string[], pid: number): Promise<void> {
  for (const file of procs) {
    try {
      await writeFile(file, `${pid}\n`);
    } catch (cause) {
      throw new InvalidArgumentError(`cannot put the pod's daemon in its cgroup (${file}): ${(cause as Error).message}`, { cause });
    }
  }
}

/**
 * The daemon's side: at the sandbox's Create it makes sure it is in the pod's
 * cgroup (a daemon claimed ready-made is moved there; one born there stays),
 * and at the sandbox's Delete it goes back to `origin` (the cgroups of the
 * `start` that launched it, else where it was) and removes the sandbox's cgroup.
 */
export class CgroupPlacement implements CgroupJoiner {
  private joined: { targets: CgroupTarget[]; origin: Map<string, string> } | undefined;
  private readonly pid: number;
  private readonly logger: Logger | undefined;
  private readonly origin: string | undefined;

  constructor(options: { pid?: number; logger?: Logger; origin?: string } = {}) {
    this.pid = options.pid ?? process.pid;
    this.logger = options.logger;
    this.origin = options.origin;
  }

  async enter(cgroupsPath: string): Promise<void> {
    if (this.joined !== undefined) throw new InvalidArgumentError(`the daemon is already in a pod's cgroup; cannot also join ${cgroupsPath}`);
    const targets = cgroupTargets(cgroupsPath, await readFile('/proc/self/mountinfo', 'utf8'));
    const origin = processCgroups(this.origin ?? (await readFile(`/proc/${this.pid}/cgroup`, 'utf8')));
    const procs = makeCgroups(targets, cgroupsPath);
    this.joined = { targets, origin };
    for (const file of procs) {
      try {
        await writeFile(file, `${this.pid}\n`);
      } catch (cause) {
        const target = targets.find((t) => path.join(t.directory, 'cgroup.procs') === file);
        if (target !== undefined && isNamedOnly(target.hierarchy)) {
          this.logger?.warn({ err: (cause as Error).message, cgroup: target.directory }, 'cannot join a named cgroup hierarchy');
          continue;
        }
        await this.leave();
        throw new InvalidArgumentError(`cannot put the pod's daemon in its cgroup ${cgroupsPath} (${file}): ${(cause as Error).message}`, { cause });
      }
    }
  }

  async leave(): Promise<void> {
    const joined = this.joined;
    this.joined = undefined;
    if (joined === undefined) return;
    // The daemon's mount helper was born in the pod's cgroup too; the next command starts another.
    await stopCommandShell();
    for (const { hierarchy, directory } of joined.targets) {
      const back = joined.origin.get(hierarchyKey(hierarchy));
      try {
        if (back !== undefined) await writeFile(path.join(hierarchy.mountPoint, back, 'cgroup.procs'), `${this.pid}\n`);
        // The sandbox's own cgroup goes, as runc removes a container's; its parents are kubelet's.
        await rmdir(directory);
      } catch (error) {
        this.logger?.warn({ err: (error as Error).message, cgroup: directory }, 'cannot leave the pod cgroup');
      }
    }
  }
}

/** Gives each level from the mount point down the nearest ancestor's CPUs and memory nodes, when it has none. */
function inheritCpuset(mountPoint: string, directory: string): void {
  const levels = path.relative(mountPoint, directory).split(path.sep).filter((p) => p !== '');
  let parent = mountPoint;
  for (const level of levels) {
    const child = path.join(parent, level);
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      if (readFileSync(path.join(child, file), 'utf8').trim() === '') writeFileSync(path.join(child, file), readFileSync(path.join(parent, file), 'utf8').trim());
    }
    parent = child;
  }
}
