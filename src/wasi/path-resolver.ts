import fs from 'node:fs';
import { Errno, WasiError, errnoOf } from './errno.js';

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
  /** Closes the intermediate directories opened during the walk. */
  release(): void;
}

export interface SandboxRoots {
  /** The fd the guest passed; `..` may not climb above it. */
  readonly baseFd: number;
  /** The preopen's root: absolute symlink targets restart here, as `/` in the container. */
  readonly rootFd: number;
}

/**
 * Resolves a guest path component by component, as openat2(RESOLVE_BENEATH)
 * would. Each directory on the way is opened with O_NOFOLLOW|O_DIRECTORY
 * through /proc/self/fd/<parent>/<name>, so the kernel itself never follows a
 * link or '..'; symlinks are read and followed here, only while they stay
 * inside. Absolute guest paths and climbs above the base fd are ENOTCAPABLE,
 * as in wasmtime.
 */
export function resolvePath(roots: SandboxRoots, path: string, followFinal: boolean): Resolved {
  if (path.length === 0) throw new WasiError(Errno.NOENT);
  if (path.includes('\0')) throw new WasiError(Errno.INVAL);
  if (path.startsWith('/')) throw new WasiError(Errno.NOTCAPABLE, 'absolute path');

  const stack: number[] = [roots.baseFd]; // stack[0] is borrowed, the rest are ours
  const release = (): void => {
    for (const fd of stack.splice(1)) fs.closeSync(fd);
  };
  let pending = path.split('/');
  let mustBeDirectory = endsAsDirectory(path);
  let links = 0;

  try {
    for (;;) {
      const index = pending.findIndex((c) => c !== '' && c !== '.');
      if (index < 0) return done(stack, '.', true, release);
      const component = pending[index] as string;
      pending = pending.slice(index + 1);
      const isLast = pending.every((c) => c === '' || c === '.');
      const top = stack[stack.length - 1] as number;

      if (component === '..') {
        if (stack.length === 1) throw new WasiError(Errno.NOTCAPABLE, 'path leaves its directory');
        fs.closeSync(stack.pop() as number);
        if (isLast) return done(stack, '.', true, release);
        continue;
      }

      const follow = !isLast || followFinal || mustBeDirectory;
      let stats: fs.Stats | undefined;
      try {
        stats = fs.lstatSync(at(top, component));
      } catch (error) {
        if (isLast && errnoOf(error) === Errno.NOENT) return done(stack, component, mustBeDirectory, release);
        throw error;
      }

      if (stats.isSymbolicLink() && follow) {
        if (++links > MAX_SYMLINKS) throw new WasiError(Errno.LOOP);
        const target = fs.readlinkSync(at(top, component));
        if (target.length === 0) throw new WasiError(Errno.NOENT);
        if (target.startsWith('/')) {
          release();
          // The preopen root is `/` for the guest; `..` from there is refused.
          stack[0] = roots.rootFd;
        }
        if (isLast) mustBeDirectory = mustBeDirectory || endsAsDirectory(target);
        pending = [...target.split('/'), ...pending];
        continue;
      }
      if (isLast) return done(stack, component, mustBeDirectory, release);
      if (!stats.isDirectory()) throw new WasiError(Errno.NOTDIR);
      stack.push(fs.openSync(at(top, component), O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
    }
  } catch (error) {
    release();
    throw error;
  }
}

function endsAsDirectory(path: string): boolean {
  return path.endsWith('/') || path.endsWith('/.') || path.endsWith('/..') || path === '.' || path === '..';
}

function done(stack: number[], name: string, mustBeDirectory: boolean, release: () => void): Resolved {
  return { dirFd: stack[stack.length - 1] as number, name, mustBeDirectory, release };
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
