/**
 * Worker side of a guest's memory: what the daemon reads (stats) and sets
 * (the cap) through the inspector, and how running out of it is recognised.
 * The cap lives in a global that module rewriting (wasm/memory-cap.ts) adds.
 */
import { getHeapStatistics } from 'node:v8';
import { ExitStatus } from '../exit-status.js';
import { CAP_GLOBAL_EXPORT, REFUSED_GLOBAL_EXPORT, UNCAPPED_PAGES, WASM_PAGE_BYTES } from './wasm/memory-cap.js';

/** Names on the worker's global object that the daemon calls through Runtime.evaluate. */
export const STATS_GLOBAL = '__wasmtsGuestStats';
export const SET_CAP_GLOBAL = '__wasmtsSetMemoryCap';

/** Exit status of a guest that ended because it ran out of memory: as if the kernel's OOM killer sent SIGKILL. */
export const OUT_OF_MEMORY_STATUS = ExitStatus.OUT_OF_MEMORY;

export interface GuestMemoryReport {
  linearMemoryBytes: number;
  engineHeapBytes: number;
  /** memory.grow calls refused at the cap so far. */
  growRefused: number;
}

const MIB = 1024 * 1024;

function describeBytes(bytes: number): string {
  return bytes < MIB ? `${Math.round(bytes / 1024)} KiB` : `${(bytes / MIB).toFixed(1)} MiB`;
}

export class GuestMemory {
  private readonly memory: WebAssembly.Memory | undefined;
  private readonly cap: WebAssembly.Global | undefined;
  private readonly refused: WebAssembly.Global | undefined;

  constructor(guest: WebAssembly.Instance) {
    const { memory } = guest.exports;
    const cap = guest.exports[CAP_GLOBAL_EXPORT];
    const refused = guest.exports[REFUSED_GLOBAL_EXPORT];
    this.memory = memory instanceof WebAssembly.Memory ? memory : undefined;
    this.cap = cap instanceof WebAssembly.Global ? cap : undefined;
    this.refused = refused instanceof WebAssembly.Global ? refused : undefined;
  }

  /** Makes stats and the cap reachable from the daemon's inspector session. */
  expose(): void {
    const slot = globalThis as Record<string, unknown>;
    slot[STATS_GLOBAL] = (): GuestMemoryReport => this.report();
    slot[SET_CAP_GLOBAL] = (bytes: number | null): boolean => this.setLimit(bytes ?? undefined);
  }

  /** Takes back what expose() put on the thread's global: its guest has gone. */
  static unexpose(): void {
    const slot = globalThis as Record<string, unknown>;
    delete slot[STATS_GLOBAL];
    delete slot[SET_CAP_GLOBAL];
  }

  /** Why the guest cannot start under `limitBytes`, or undefined when it fits. */
  checkStartsWithin(limitBytes: number | undefined): string | undefined {
    if (limitBytes === undefined || this.memory === undefined) return undefined;
    const size = this.memory.buffer.byteLength;
    if (size <= limitBytes) return undefined;
    return (
      `the module needs ${describeBytes(size)} of linear memory at start, ` +
      `more than the container's memory limit of ${describeBytes(limitBytes)}; raise the limit`
    );
  }

  /** Changes the cap; false when this module has none (it was not rewritten). */
  setLimit(limitBytes: number | undefined): boolean {
    if (this.cap === undefined) return false;
    this.cap.value = limitBytes === undefined ? UNCAPPED_PAGES : Math.min(UNCAPPED_PAGES, Math.floor(limitBytes / WASM_PAGE_BYTES));
    return true;
  }

  get growRefused(): number {
    return this.refused === undefined ? 0 : Number(this.refused.value);
  }

  /** A trap after a refused grow is what an allocator does when memory runs out (abort, or Rust's alloc error). */
  ranOutOf(exitStatus: number, trapStatus: number): boolean {
    return exitStatus === trapStatus && this.growRefused > 0;
  }

  describeLimit(): string {
    const pages = this.cap === undefined ? UNCAPPED_PAGES : Number(this.cap.value);
    return describeBytes(pages * WASM_PAGE_BYTES);
  }

  report(): GuestMemoryReport {
    return {
      linearMemoryBytes: this.memory?.buffer.byteLength ?? 0,
      engineHeapBytes: getHeapStatistics().total_heap_size,
      growRefused: this.growRefused,
    };
  }
}
