import { lstat, readlink } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError } from '../errors.js';

/** The path names nothing in the container's filesystem (as opposed to naming something that is not a module). */
export class NotInRootfsError extends InvalidArgumentError {}
import { GuestPathMap, type MountedPath } from './guest-path-map.js';

const MAX_SYMLINK_HOPS = 40; // Linux's MAXSYMLINKS

/**
 * Resolves a guest path (absolute, or relative to `cwd`) to a host path inside
 * `rootfs`, following symlinks the way the guest would see them: an absolute
 * link target starts again at the rootfs, and `..` never climbs above it. A
 * path at or below a mount's guest path continues in the mount's host path.
 */
export async function resolveInRootfs(rootfs: string, guestPath: string, cwd = '/', mounts: readonly MountedPath[] = []): Promise<string> {
  const paths = new GuestPathMap(rootfs, mounts);
  const pending = path.posix.resolve('/', cwd, guestPath).split('/').filter((c) => c !== '');
  const resolved: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const component = pending.shift()!;
    if (component === '.') continue;
    if (component === '..') {
      resolved.pop();
      continue;
    }
    const hostPath = paths.hostPathOf([...resolved, component]);
    let stats;
    try {
      stats = await lstat(hostPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') {
        throw new NotInRootfsError(`${guestPath} does not exist in the container's rootfs`, { cause: error });
      }
      throw new InvalidArgumentError(`cannot look up ${guestPath} in the container's rootfs`, { cause: error });
    }
    if (stats.isSymbolicLink()) {
      if (++hops > MAX_SYMLINK_HOPS) {
        throw new InvalidArgumentError(`${guestPath} in the container's rootfs: too many levels of symbolic links`);
      }
      const target = await readlink(hostPath);
      if (target.startsWith('/')) resolved.length = 0;
      pending.unshift(...target.split('/').filter((c) => c !== ''));
      continue;
    }
    if (pending.length > 0 && !stats.isDirectory()) {
      throw new NotInRootfsError(`${guestPath} does not exist in the container's rootfs (${component} is not a directory)`);
    }
    resolved.push(component);
  }
  return paths.hostPathOf(resolved);
}

/** Resolves the module a process runs and checks it is a regular file. */
export async function resolveEntrypoint(rootfs: string, guestPath: string, cwd = '/', mounts: readonly MountedPath[] = []): Promise<string> {
  const hostPath = await resolveInRootfs(rootfs, guestPath, cwd, mounts);
  const stats = await lstat(hostPath);
  if (stats.isDirectory()) throw new InvalidArgumentError(`${guestPath} in the container's rootfs is a directory, not a module`);
  if (!stats.isFile()) throw new InvalidArgumentError(`${guestPath} in the container's rootfs is not a regular file`);
  return hostPath;
}
