/**
 * The OCI spec's `mounts`, made ready for the guest. A mount is not a kernel
 * mount here: the WASI host lays each one over the root preopen and resolves
 * paths through it inside the sandbox (see src/wasi/mount-table.ts). That
 * needs no privileges, leaves nothing mounted on the node after a crash, keeps
 * the snapshot unmountable at any time, and gives every path the same checks as
 * the rootfs.
 *
 * What this module does, as runc does before it mounts: checks each source,
 * resolves each destination through the rootfs's own symlinks (staying inside),
 * creates a missing destination in the rootfs (a directory, or an empty file for
 * a file mount), and gives each tmpfs mount a private directory in the bundle.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import { GuestPathMap } from './guest-path-map.js';

/** A mount as config.json states it. */
export interface SpecMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

/** What the guest sees: a host file or directory at a canonical guest path. */
export interface GuestMountPlan {
  guestPath: string;
  hostPath: string;
  readOnly: boolean;
}

export interface MountPlan {
  mounts: GuestMountPlan[];
  /** Removes the private directories of the tmpfs mounts. Idempotent. */
  cleanup(): void;
}

/** Kernel filesystems a wasm guest has no use for (no /proc, /sys, ptys, message queues or cgroups in WASI). */
export const IGNORED_TYPES: ReadonlySet<string> = new Set(['proc', 'sysfs', 'devpts', 'mqueue', 'cgroup', 'cgroup2', 'securityfs', 'debugfs', 'tracefs']);

/** Where the private directories of tmpfs mounts live, inside the bundle. */
export const TMPFS_DIR = 'wasmts-tmpfs';

const MAX_SYMLINKS = 40;

/** Reads config.json's `mounts` (absent means none); throws naming the field that is malformed. */
export function specMountsFrom(value: unknown, where: string): SpecMount[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new InvalidArgumentError(`${where}: mounts must be an array`);
  return value.map((raw: unknown, index) => {
    const m = (raw ?? {}) as Record<string, unknown>;
    const destination = m.destination;
    if (typeof destination !== 'string' || !destination.startsWith('/')) {
      throw new InvalidArgumentError(`${where}: mounts[${index}].destination must be an absolute path`);
    }
    const options = m.options ?? [];
    if (!Array.isArray(options) || !options.every((o) => typeof o === 'string')) {
      throw new InvalidArgumentError(`${where}: mounts[${index}].options must be an array of strings`);
    }
    return {
      destination,
      type: typeof m.type === 'string' ? m.type : '',
      source: typeof m.source === 'string' ? m.source : '',
      options: options as string[],
    };
  });
}

type Kind = 'bind' | 'tmpfs' | 'ignored';

function kindOf(mount: SpecMount): Kind {
  // containerd and Docker write bind mounts as type "bind" (or "none"/"") with "bind" or "rbind" among the options.
  if (mount.type === 'bind' || mount.type === 'rbind' || mount.options.includes('bind') || mount.options.includes('rbind')) return 'bind';
  if (mount.type === 'tmpfs') return 'tmpfs';
  if (IGNORED_TYPES.has(mount.type)) return 'ignored';
  throw new InvalidArgumentError(
    `mount ${mount.destination}: type "${mount.type}" is not supported (bind and tmpfs mounts reach the guest; ${[...IGNORED_TYPES].join(', ')} are ignored)`,
  );
}

/** The last of "ro"/"rw" wins, as mount(8) reads its options. */
function readOnlyOf(options: readonly string[]): boolean {
  let readOnly = false;
  for (const option of options) {
    if (option === 'ro') readOnly = true;
    else if (option === 'rw') readOnly = false;
  }
  return readOnly;
}

/** The tmpfs "mode=" option, else tmpfs's own default 1777. */
function modeOf(options: readonly string[]): number {
  const mode = options.find((o) => o.startsWith('mode='));
  const parsed = mode === undefined ? NaN : parseInt(mode.slice(5), 8);
  return Number.isInteger(parsed) && parsed >= 0 && parsed <= 0o7777 ? parsed : 0o1777;
}

/**
 * Checks and prepares every mount of the spec, in order (a later mount over an
 * earlier one hides it, as the host does). Throws an error naming the mount for
 * a source that does not exist, a file over a directory (or the reverse), and an
 * unknown type.
 */
export function planMounts(specMounts: readonly SpecMount[], rootfs: string, bundle: string): MountPlan {
  const mounts: GuestMountPlan[] = [];
  const paths = new GuestPathMap(rootfs);
  const privateDirs: string[] = [];
  const cleanup = (): void => {
    for (const dir of privateDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    specMounts.forEach((mount, index) => {
      const kind = kindOf(mount);
      if (kind === 'ignored') return;
      const destination = path.posix.normalize(mount.destination);
      if (destination === '/') throw new InvalidArgumentError(`mount on /: the container's root cannot be a mount`);
      let source: string;
      if (kind === 'tmpfs') {
        source = path.join(bundle, TMPFS_DIR, String(index));
        fs.mkdirSync(source, { recursive: true });
        fs.chmodSync(source, modeOf(mount.options));
        privateDirs.push(source);
      } else {
        source = path.resolve(bundle, mount.source);
        if (!fs.existsSync(source)) {
          throw new InvalidArgumentError(`mount ${destination}: its source ${mount.source} does not exist`);
        }
      }
      const directory = fs.statSync(source).isDirectory();
      const guestPath = prepareDestination(paths, destination, directory, source);
      const planned = { guestPath, hostPath: source, readOnly: readOnlyOf(mount.options) };
      mounts.push(planned);
      paths.add(planned);
    });
  } catch (error) {
    cleanup();
    throw error;
  }
  if (privateDirs.length > 0) privateDirs.push(path.join(bundle, TMPFS_DIR));
  return { mounts, cleanup };
}

/**
 * Resolves `destination` the way the guest will see it (symlinks followed,
 * absolute ones from the root, never above it; through the mounts made so
 * far), creates what is missing where it lives (the rootfs, or the source of
 * an enclosing mount, as runc does), and returns the canonical guest path.
 */
function prepareDestination(paths: GuestPathMap, destination: string, directory: boolean, source: string): string {
  const pending = destination.split('/').filter((c) => c !== '' && c !== '.');
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const component = pending.shift() as string;
    if (component === '..') {
      resolved.pop();
      continue;
    }
    const { hostPath, readOnly } = paths.locate([...resolved, component]);
    const isLast = pending.length === 0;
    let stats: fs.Stats | undefined;
    try {
      stats = fs.lstatSync(hostPath);
    } catch {
      stats = undefined;
    }
    if (stats?.isSymbolicLink() === true) {
      if (++links > MAX_SYMLINKS) throw new InvalidArgumentError(`mount ${destination}: too many levels of symbolic links in the rootfs`);
      const target = fs.readlinkSync(hostPath);
      if (target.startsWith('/')) resolved.length = 0;
      pending.unshift(...target.split('/').filter((c) => c !== '' && c !== '.'));
      continue;
    }
    try {
      if (stats === undefined) {
        if (readOnly) throw new InvalidArgumentError(`mount ${destination}: its mount point would be made in a read-only mount`);
        if (isLast && !directory) fs.writeFileSync(hostPath, '', { flag: 'wx', mode: 0o644 });
        else fs.mkdirSync(hostPath, { mode: 0o755 });
      } else if (isLast && stats.isDirectory() !== directory) {
        throw new InvalidArgumentError(
          directory
            ? `mount ${destination}: cannot mount the directory ${source} over a file of the image`
            : `mount ${destination}: cannot mount the file ${source} over a directory of the image`,
        );
      } else if (!isLast && !stats.isDirectory()) {
        throw new InvalidArgumentError(`mount ${destination}: ${component} is not a directory in the image`);
      }
    } catch (error) {
      if (error instanceof InvalidArgumentError) throw error;
      throw new InvalidArgumentError(`mount ${destination}: cannot create its mount point in the rootfs`, { cause: error });
    }
    resolved.push(component);
  }
  return `/${resolved.join('/')}`;
}
