import { Descriptor } from './descriptor.js';
import { Errno, fail } from './errno.js';

/** Preview 1 leaves the limit to the host; this bounds what one guest can hold open. */
export const MAX_FDS = 4096;

/**
 * The guest's fd numbers. New fds take the lowest free number, as POSIX does,
 * so programs that assume dup-style numbering behave.
 */
export class FdTable {
  readonly #entries = new Map<number, Descriptor>();
  /** Closes still flushing (streams), awaited by the host's close(). */
  readonly pendingCloses: Promise<void>[] = [];

  /** The descriptor at `fd`, EBADF if none, ENOTCAPABLE if it lacks `rights`. */
  get(fd: number, rights = 0n): Descriptor {
    const entry = this.#entries.get(fd);
    if (entry === undefined) return fail(Errno.BADF);
    if ((rights & entry.naturalRights & ~entry.rightsBase) !== 0n) return fail(Errno.NOTCAPABLE);
    return entry;
  }

  /** Like get(), narrowed to a kind of descriptor; `wrongKind` is the errno otherwise. */
  getAs<T extends Descriptor>(fd: number, kind: abstract new (...args: never[]) => T, rights = 0n, wrongKind: number = Errno.NOTDIR): T {
    const entry = this.get(fd, rights);
    if (!(entry instanceof kind)) return fail(wrongKind);
    return entry;
  }

  has(fd: number): boolean {
    return this.#entries.has(fd);
  }

  set(fd: number, descriptor: Descriptor): void {
    this.#entries.set(fd, descriptor);
  }

  add(descriptor: Descriptor): number {
    for (let fd = 0; fd < MAX_FDS; fd++) {
      if (!this.#entries.has(fd)) {
        this.#entries.set(fd, descriptor);
        return fd;
      }
    }
    try {
      void descriptor.close();
    } catch {
      // nothing more to do with an fd we cannot hand out
    }
    return fail(Errno.MFILE);
  }

  /** Removes `fd` and closes its descriptor; a flushing close is remembered for the host's close(). */
  close(fd: number): void {
    const entry = this.get(fd);
    this.#entries.delete(fd);
    this.#track(entry.close());
  }

  /** fd_renumber: `to` is closed and replaced by `from`, which disappears. */
  renumber(from: number, to: number): void {
    const source = this.get(from);
    const target = this.get(to);
    if (from === to) return;
    this.#entries.delete(from);
    this.#entries.set(to, source);
    this.#track(target.close());
  }

  entries(): IterableIterator<[number, Descriptor]> {
    return this.#entries.entries();
  }

  /** Closes everything; resolves when every stream has flushed. */
  async closeAll(): Promise<void> {
    const descriptors = [...this.#entries.values()];
    this.#entries.clear();
    for (const descriptor of descriptors) {
      try {
        this.#track(descriptor.close());
      } catch {
        // closing is best effort at teardown
      }
    }
    await Promise.all(this.pendingCloses.splice(0));
  }

  #track(result: void | Promise<void>): void {
    if (!(result instanceof Promise)) return;
    // Forgotten once settled: a server closing connection after connection must not accumulate them.
    const pending: Promise<void> = result.catch(() => {}).then(() => {
      const index = this.pendingCloses.indexOf(pending);
      if (index !== -1) this.pendingCloses.splice(index, 1);
    });
    this.pendingCloses.push(pending);
  }
}
