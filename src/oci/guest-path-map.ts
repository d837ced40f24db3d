import path from 'node:path';

/** A host file or directory the guest sees at `guestPath` (absolute and canonical). */
export interface MountedPath {
  guestPath: string;
  hostPath: string;
  readOnly?: boolean;
}

interface Entry {
  parts: string[];
  hostPath: string;
  readOnly: boolean;
}

/**
 * Where a canonical guest path lives on the host: under the deepest mount that
 * holds it, else in the rootfs. A later mount at or above an earlier one hides
 * it, as mounting over it does. The WASI host keeps the same table for the
 * guest's own lookups (src/wasi/mount-table.ts); this one serves the shim's
 * lookups before the guest runs (its module, its mount points).
 */
export class GuestPathMap {
  readonly #rootfs: string;
  readonly #entries: Entry[] = [];

  constructor(rootfs: string, mounts: readonly MountedPath[] = []) {
    this.#rootfs = rootfs;
    for (const mount of mounts) this.add(mount);
  }

  add(mount: MountedPath): void {
    const parts = mount.guestPath.split('/').filter((c) => c !== '');
    const hides = (earlier: string[]): boolean => parts.length <= earlier.length && parts.every((c, i) => earlier[i] === c);
    for (let i = this.#entries.length - 1; i >= 0; i--) if (hides(this.#entries[i]!.parts)) this.#entries.splice(i, 1);
    this.#entries.push({ parts, hostPath: mount.hostPath, readOnly: mount.readOnly === true });
  }

  /** The host path of `parts` (guest path components) and whether the mount holding it is read-only. */
  locate(parts: readonly string[]): { hostPath: string; readOnly: boolean } {
    let best: Entry | undefined;
    for (const entry of this.#entries) {
      const holds = entry.parts.length <= parts.length && entry.parts.every((c, i) => parts[i] === c);
      if (holds && (best === undefined || entry.parts.length > best.parts.length)) best = entry;
    }
    if (best === undefined) return { hostPath: path.join(this.#rootfs, ...parts), readOnly: false };
    return { hostPath: path.join(best.hostPath, ...parts.slice(best.parts.length)), readOnly: best.readOnly };
  }

  hostPathOf(parts: readonly string[]): string {
    return this.locate(parts).hostPath;
  }
}
