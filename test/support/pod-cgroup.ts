/**
 * Pod cgroups as kubelet makes them (cgroupfs driver), for CRI tests and
 * benchmarks: below this process's own cgroups, so nothing escapes the
 * cgroups the tests run in. No parameter properties: scripts load this file
 * with Node's type stripping.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cgroupHierarchies, hierarchyKey, processCgroups, type CgroupHierarchy } from '../../src/shim/daemon/cgroup-placement.js';

export interface PodCgroups {
  hierarchies: CgroupHierarchy[];
  /** The memory hierarchy (v1), else the unified one. */
  memory: CgroupHierarchy | undefined;
  /** Where pod cgroups go: below this process's memory cgroup. */
  base: string;
}

export async function podCgroups(): Promise<PodCgroups> {
  const hierarchies = cgroupHierarchies(await readFile('/proc/self/mountinfo', 'utf8'));
  const ours = processCgroups(await readFile('/proc/self/cgroup', 'utf8'));
  const memory = hierarchies.find((h) => h.controllers.includes('memory')) ?? hierarchies.find((h) => h.version === 2);
  return { hierarchies, memory, base: memory === undefined ? '/' : (ours.get(hierarchyKey(memory)) ?? '/') };
}

/** Makes `parent` in every hierarchy (a new cpuset level gets its parent's CPUs and nodes); returns the directories made, outermost first. */
export async function makePodCgroup(cgroups: PodCgroups, parent: string): Promise<string[]> {
  const made: string[] = [];
  for (const hierarchy of cgroups.hierarchies) {
    let directory = hierarchy.mountPoint;
    for (const level of parent.split('/').filter((p) => p !== '')) {
      const parentDir = directory;
      directory = path.join(directory, level);
      if (existsSync(directory)) continue;
      await mkdir(directory);
      made.push(directory);
      if (hierarchy.controllers.includes('cpuset')) {
        for (const file of ['cpuset.cpus', 'cpuset.mems']) await writeFile(path.join(directory, file), (await readFile(path.join(parentDir, file), 'utf8')).trim());
      }
    }
  }
  return made;
}

/** Removes what makePodCgroup made (and whatever empty cgroups runtimes left inside), innermost first. */
export async function removePodCgroup(made: readonly string[]): Promise<void> {
  for (const directory of [...made].reverse()) await rmdir(directory).catch(() => {});
}
