/**
 * A preopened directory, and the host's own reads through the guest's `/`.
 */
import fs from 'node:fs';
import { ALL_RIGHTS, DIRECTORY_RIGHTS } from './abi.js';
import { DirectoryDescriptor } from './directory-descriptor.js';
import { MountTable } from './mount-table.js';
import { at, withResolved } from './path-resolver.js';
import type { GuestMount } from './mount-table.js';
import { InvalidArgumentError } from '../errors.js';

export interface PreopenSpec {
  /** The name the guest sees (fd_prestat_dir_name), e.g. '/'. */
  guestPath: string;
  /** The host directory behind it; the embedder vouches for this path. */
  hostPath: string;
  /** Nothing may be created, changed or removed through it (mounts keep their own setting). */
  readOnly?: boolean;
  /** Host files and directories laid over it (the spec's mounts), plus the devices under /dev. */
  mounts?: GuestMount[];
}

export function openPreopen(preopen: PreopenSpec): DirectoryDescriptor {
  const { O_RDONLY, O_DIRECTORY } = fs.constants;
  let fd: number;
  try {
    fd = fs.openSync(preopen.hostPath, O_RDONLY | O_DIRECTORY);
  } catch (cause) {
    throw new InvalidArgumentError(`preopen ${preopen.guestPath}: cannot open host directory ${preopen.hostPath}`, { cause });
  }
  let mounts: MountTable;
  try {
    // The devices belong to the container's root only.
    mounts = MountTable.open(preopen.mounts ?? [], { rootReadOnly: preopen.readOnly ?? false, devices: preopen.guestPath === '/' });
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
  return new DirectoryDescriptor(fd, { rightsBase: DIRECTORY_RIGHTS, rightsInheriting: ALL_RIGHTS, preopenPath: preopen.guestPath, mounts });
}

/**
 * A small text file of the guest's filesystem, found as the guest would find it
 * (inside the sandbox, through the mounts); undefined when it is missing or
 * unreadable, or the guest closed its `/`.
 */
export function readInside(root: DirectoryDescriptor, guestPath: string): string | undefined {
  try {
    const fd = withResolved(root.roots, guestPath.replace(/^\/+/, ''), true, (r) =>
      fs.openSync(at(r.dirFd, r.name), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK),
    );
    try {
      if (!fs.fstatSync(fd).isFile()) return undefined;
      return fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}
