import type { FdTable } from './fd-table.js';
import type { MemoryView } from './memory-view.js';

/** What the import functions of one instance share. */
export interface HostContext {
  readonly memory: MemoryView;
  readonly fds: FdTable;
  /** argv and environ, each string NUL-terminated, as args_get/environ_get copy them. */
  readonly args: Uint8Array[];
  readonly env: Uint8Array[];
  /** Reads a file of the guest's `/` (inside its sandbox, through its mounts); undefined if absent. */
  readonly readGuestFile: (guestPath: string) => string | undefined;
}

/**
 * An import as the host implements it: i32 arguments arrive as unsigned
 * numbers, i64 as bigint; it returns an errno, or a Promise of one when it
 * has to wait (then it is wrapped in WebAssembly.Suspending).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type HostFunction = (...args: any[]) => number | Promise<number>;

export interface ImportTable {
  /** Imports that never wait. */
  readonly immediate: Record<string, HostFunction>;
  /** Imports that may suspend the guest. */
  readonly waiting: Record<string, HostFunction>;
}

/** Writes an operation's value once it is known and returns ESUCCESS, without a Promise if none was needed. */
export function thenStore<T>(value: T | Promise<T>, store: (value: T) => void): number | Promise<number> {
  if (value instanceof Promise) {
    return value.then((v) => {
      store(v);
      return 0;
    });
  }
  store(value);
  return 0;
}
