import fs from 'node:fs';
import { Errno, WasiError, errnoOf } from './errno.js';
import { MountTable, type MountPoint, ROOT_MOUNT } from './mount-table.js';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = fs.constants;
/** Linux's limit on symlinks followed in one lookup (MAXSYMLINKS). */
export const MAX_SYMLINKS = 40;

/** The host path naming `name` inside the directory open as `dirFd`, like openat(dirFd, name). */
export function at(dirFd: number, name: string): string {
  return `/proc/self/fd/${dirFd}/${name}`;
}

/**
 * Where a guest path ends: the directory that holds its last component (open
 * as `dirFd`, reached without leaving the sandbox) and that component's name
 * (never containing '/' and never '..'; '.' when the path names the directory
 * itself). Operations must act on `at(dirFd, name)` with calls that do not
 * follow a final symlink (lstat, O_NOFOLLOW, lutimes, unlink...), so a link
 * swapped in after resolution is never followed by the kernel.
 */
export interface Resolved {
  readonly dirFd: number;
  readonly name: string;
  /** The path ended in '/' (or '.'/'..'): it must name a directory. */
  readonly mustBeDirectory: boolean;
  /** Where the last component lives inside the preopen, e.g. ['etc', 'hosts'] (['etc'] for 'etc/.'). */
  readonly guestPath: readonly string[];
  /** The mount the last component belongs to (ROOT_MOUNT for the preopen itself). */
  readonly mount: number;
  /** That mount is read-only: nothing may be created, changed or removed through it. */
  readonly readOnly: boolean;
  /** The last component is a mount point (or a device): it cannot be removed, renamed or replaced. */
  readonly mountPoint: MountPoint | undefined;
  /** Closes the intermediate directories opened during the walk. */
  release(): void;
}

export interface SandboxRoots {
  /** The fd the guest passed; `..` may not climb above it. */
  readonly baseFd: number;
  /** The preopen's root: absolute symlink targets restart here, as `/` in the container. */
  readonly rootFd: number;
  /** Where the base directory lives inside the preopen, and on which mount. */
  readonly basePath?: readonly string[];
  readonly baseMount?: number;
  /** The preopen's mounts; none when absent. */
  readonly mounts?: MountTable;
}

/** One directory of the walk: its fd, where it is, and whether the walk opened it (and must close it). */
interface Step {
  fd: number;
  path: readonly string[];
  mount: number;
  owned: boolean;
}

const NO_MOUNTS = MountTable.empty();

/**
 * Resolves a guest path component by component, as openat2(RESOLVE_BENEATH)
 * would. Each directory on the way is opened with O_NOFOLLOW|O_DIRECTORY
 * through /proc/self/fd/<parent>/<name>, so the kernel itself never follows a
 * link or '..'; symlinks are read and followed here, only while they stay
 * inside. Absolute guest paths and climbs above the base fd are ENOTCAPABLE,
 * as in wasmtime. A component that is a mount point continues on the mount's
 * fd (see mount-table.ts); '..' leaves a mount the way it came in.
 */
export function resolvePath(roots: SandboxRoots, path: string, followFinal: boolean): Resolved {
  if (path.length === 0) throw new WasiError(Errno.NOENT);
  if (path.includes('\0')) throw new WasiError(Errno.INVAL);
  if (path.startsWith('/')) throw new WasiError(Errno.NOTCAPABLE, 'absolute path');

  const mounts = roots.mounts ?? NO_MOUNTS;
  // stack[0] is borrowed, the rest are ours unless they are a mount's own fd
  const stack: Step[] = [{ fd: roots.baseFd, path: roots.basePath ?? [], mount: roots.baseMount ?? ROOT_MOUNT, owned: false }];
  const close = (steps: Step[]): void => {
    for (const step of steps) if (step.owned) fs.closeSync(step.fd);
  };
  const release = (): void => close(stack.splice(1));
  let pending = path.split('/');
  let mustBeDirectory = endsAsDirectory(path);
  let links = 0;

  const finish = (name: string, point?: MountPoint): Resolved => {
    const top = stack[stack.length - 1] as Step;
    if (point !== undefined) {
      return {
        dirFd: point.dirFd, name: point.name, mustBeDirectory, guestPath: point.components,
        mount: point.id, readOnly: point.readOnly, mountPoint: point, release,
      };
    }
    const guestPath = name === '.' ? top.path : [...top.path, name];
    // A directory reached as a whole ('data/.') is the mount point itself when the walk entered a mount there.
    const entered = name === '.' ? mounts.at(top.path) : undefined;
    return {
      dirFd: top.fd, name, mustBeDirectory, guestPath, mount: top.mount,
      readOnly: mounts.isReadOnly(top.mount), mountPoint: entered, release,
    };
  };

  try {
    for (;;) {
      const index = pending.findIndex((c) => c !== '' && c !== '.');
      if (index < 0) {
        mustBeDirectory = true;
        return finish('.');
      }
      const component = pending[index] as string;
      pending = pending.slice(index + 1);
      const isLast = pending.every((c) => c === '' || c === '.');
      const top = stack[stack.length - 1] as Step;

      if (component === '..') {
        if (stack.length === 1) throw new WasiError(Errno.NOTCAPABLE, 'path leaves its directory');
        close([stack.pop() as Step]);
        if (isLast) {
          mustBeDirectory = true;
          return finish('.');
        }
        continue;
      }

      const point = mounts.at([...top.path, component]);
      if (point !== undefined) {
        if (isLast) return finish(component, point);
        if (!point.directory) throw new WasiError(Errno.NOTDIR);
        stack.push({ fd: point.dirFd, path: point.components, mount: point.id, owned: false });
        continue;
      }

      const follow = !isLast || followFinal || mustBeDirectory;
      let stats: fs.Stats | undefined;
      try {
        stats = fs.lstatSync(at(top.fd, component));
      } catch (error) {
        if (isLast && errnoOf(error) === Errno.NOENT) return finish(component);
        throw error;
      }

      if (stats.isSymbolicLink() && follow) {
        if (++links > MAX_SYMLINKS) throw new WasiError(Errno.LOOP);
        const target = fs.readlinkSync(at(top.fd, component));
        if (target.length === 0) throw new WasiError(Errno.NOENT);
        if (target.startsWith('/')) {
          release();
          // The preopen root is `/` for the guest; `..` from there is refused.
          stack[0] = { fd: roots.rootFd, path: [], mount: ROOT_MOUNT, owned: false };
        }
        if (isLast) mustBeDirectory = mustBeDirectory || endsAsDirectory(target);
        pending = [...target.split('/'), ...pending];
        continue;
      }
      if (isLast) return finish(component);
      if (!stats.isDirectory()) throw new WasiError(Errno.NOTDIR);
      const fd = fs.openSync(at(top.fd, component), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      stack.push({ fd, path: [...top.path, component], mount: top.mount, owned: true });
    }
  } catch (error) {
    release();
    throw error;
  }
}

function endsAsDirectory(path: string): boolean {
  return path.endsWith('/') || path.endsWith('/.') || path.endsWith('/..') || path === '.' || path === '..';
}

/** Runs `action` on a resolved path and always releases the walk's fds. */
export function withResolved<T>(roots: SandboxRoots, path: string, followFinal: boolean, action: (resolved: Resolved) => T): T {
  const resolved = resolvePath(roots, path, followFinal);
  try {
    return action(resolved);
  } finally {
    resolved.release();
  }
}
