import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from '../errors.js';

/**
 * A host file or directory that appears at `guestPath` inside a preopen (the
 * OCI spec's bind and tmpfs mounts). The embedder vouches for `hostPath`.
 */
export interface GuestMount {
  /** Absolute, canonical (no symlinks, '.' or '..'), inside the preopen: '/data', '/etc/hosts'. */
  guestPath: string;
  hostPath: string;
  readOnly: boolean;
}

/** The devices every guest can open by name, as on any Linux system. */
export const DEVICES = ['null', 'zero', 'full', 'random', 'urandom'] as const;

/** Mount 0 is the preopen itself. */
export const ROOT_MOUNT = 0;

/** One entry of the table: where a lookup that reaches its path continues. */
export interface MountPoint {
  readonly id: number;
  /** The path components inside the preopen, e.g. ['etc', 'hosts']. */
  readonly components: readonly string[];
  /** A directory fd: the mount itself (`name` '.'), or the host directory holding it (a file mount). */
  readonly dirFd: number;
  readonly name: string;
  readonly directory: boolean;
  readonly readOnly: boolean;
  /** One of DEVICES (host /dev/<name>): its metadata is the host's, never changed. */
  readonly device: boolean;
}

/**
 * The mounts of one preopen, looked up by guest path as the resolver walks
 * (see path-resolver.ts): a walk that reaches a mount point continues on the
 * mount's own fd, and `..` from there returns to the directory that holds the
 * mount point, as in Linux. A later mount at or above an earlier one hides it,
 * as mounting over it would; the devices are laid over everything last, as a
 * container runtime creates them after the mounts.
 */
export class MountTable {
  readonly #byPath = new Map<string, MountPoint>();
  readonly #readOnly = new Map<number, boolean>();
  readonly #fds: number[] = [];

  private constructor(rootReadOnly: boolean) {
    this.#readOnly.set(ROOT_MOUNT, rootReadOnly);
  }

  static empty(rootReadOnly = false): MountTable {
    return new MountTable(rootReadOnly);
  }

  /** Opens every mount (and the devices): the guest sees them from now on. Throws naming the mount that cannot be opened. */
  static open(mounts: readonly GuestMount[], options: { rootReadOnly?: boolean; devices?: boolean } = {}): MountTable {
    const table = new MountTable(options.rootReadOnly ?? false);
    try {
      for (const mount of mounts) table.#add(components(mount.guestPath), mount.hostPath, mount.readOnly, false);
      if (options.devices !== false) {
        for (const device of DEVICES) {
          if (fs.existsSync(`/dev/${device}`)) table.#add(['dev', device], `/dev/${device}`, false, true);
        }
      }
    } catch (error) {
      table.close();
      throw error;
    }
    return table;
  }

  #add(at: string[], hostPath: string, readOnly: boolean, device: boolean): void {
    const where = `/${at.join('/')}`;
    if (at.length === 0) throw new InvalidArgumentError(`mount ${hostPath} on /: the root cannot be replaced by a mount`);
    let stats: fs.Stats;
    try {
      stats = fs.statSync(hostPath);
    } catch (cause) {
      throw new InvalidArgumentError(`mount on ${where}: cannot open its source ${hostPath}`, { cause });
    }
    const { O_RDONLY, O_DIRECTORY } = fs.constants;
    const directory = stats.isDirectory();
    // A file is reached through the directory that holds it (what the resolver's at(dirFd, name) needs).
    const real = fs.realpathSync(hostPath);
    const dirFd = fs.openSync(directory ? real : path.dirname(real), O_RDONLY | O_DIRECTORY);
    this.#fds.push(dirFd);
    const id = this.#readOnly.size;
    this.#readOnly.set(id, readOnly);
    const key = at.join('/');
    for (const existing of [...this.#byPath.keys()]) {
      if (existing === key || existing.startsWith(`${key}/`)) this.#byPath.delete(existing);
    }
    this.#byPath.set(key, { id, components: at, dirFd, name: directory ? '.' : path.basename(real), directory, readOnly, device });
  }

  /** The mount whose mount point is exactly this guest path. */
  at(path: readonly string[]): MountPoint | undefined {
    if (this.#byPath.size === 0 || path.length === 0) return undefined;
    return this.#byPath.get(path.join('/'));
  }

  isReadOnly(mount: number): boolean {
    return this.#readOnly.get(mount) ?? false;
  }

  /** Whether a mount point lies at or below this guest path (renaming it would move or hide a mount). */
  holdsMount(path: readonly string[]): boolean {
    const key = path.join('/');
    for (const existing of this.#byPath.keys()) {
      if (key === '' || existing === key || existing.startsWith(`${key}/`)) return true;
    }
    return false;
  }

  close(): void {
    for (const fd of this.#fds.splice(0)) fs.closeSync(fd);
    this.#byPath.clear();
  }
}

function components(guestPath: string): string[] {
  if (!guestPath.startsWith('/')) throw new InvalidArgumentError(`mount destination ${guestPath} is not an absolute path`);
  const parts = guestPath.split('/').filter((c) => c !== '' && c !== '.');
  if (parts.includes('..')) throw new InvalidArgumentError(`mount destination ${guestPath} must not contain '..'`);
  return parts;
}
