/**
 * The compiled modules of one daemon, by the sha256 of the bytes compiled:
 * every container of the daemon that runs the same module shares one
 * `WebAssembly.Module`. Workers receive it by postMessage, and V8 shares its
 * compiled code between the isolates of a process, including the functions
 * compiled lazily or optimized later by any one of them. Bounded by the total
 * size of the modules' bytes, least recently used first out.
 *
 * Not kept across processes: V8 can serialize compiled wasm code, but Node.js
 * gives JavaScript no way to do it (v8.serialize refuses a WebAssembly.Module),
 * so a new daemon compiles again. See the README's "Compile cache".
 */
export interface CachedCompile {
  module: WebAssembly.Module;
  /** The module came from the cache: no compile happened for this container. */
  hit: boolean;
}

interface Entry {
  module: Promise<WebAssembly.Module>;
  size: number;
}

/** Default budget: module bytes (the compiled code is a few times larger, and shared). */
export const DEFAULT_MODULE_CACHE_BYTES = 256 * 1024 * 1024;

export class ModuleCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxBytes: number;
  private bytes = 0;

  constructor(maxBytes = DEFAULT_MODULE_CACHE_BYTES) {
    this.maxBytes = maxBytes;
  }

  /** The module compiled from bytes with this key; `compile` runs only on a miss (and concurrent misses share it). */
  async getOrCompile(key: string, size: number, compile: () => Promise<WebAssembly.Module>): Promise<CachedCompile> {
    const cached = this.entries.get(key);
    if (cached !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, cached); // most recently used last
      return { module: await cached.module, hit: true };
    }
    const module = compile();
    if (size > this.maxBytes) return { module: await module, hit: false };
    const entry: Entry = { module, size };
    this.entries.set(key, entry);
    this.bytes += size;
    module.catch(() => this.forget(key, entry));
    this.evict();
    return { module: await module, hit: false };
  }

  get size(): number {
    return this.entries.size;
  }

  private forget(key: string, entry: Entry): void {
    if (this.entries.get(key) !== entry) return;
    this.entries.delete(key);
    this.bytes -= entry.size;
  }

  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) return;
      this.forget(key, entry);
    }
  }
}
