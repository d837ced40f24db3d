/**
 * JavaScript Promise Integration (WebAssembly/js-promise-integration), which
 * TypeScript's lib does not describe yet. Unflagged from Node 24 (V8 13.6).
 */
interface Jspi {
  Suspending: new (fn: (...args: never[]) => unknown) => object;
  promising: (fn: (...args: never[]) => unknown) => (...args: unknown[]) => Promise<unknown>;
}

const jspi = WebAssembly as unknown as Partial<Jspi>;

export function jspiAvailable(): boolean {
  return typeof jspi.Suspending === 'function' && typeof jspi.promising === 'function';
}

/** Marks an import whose Promise result suspends the calling wasm instead of being returned. */
export function suspending(fn: (...args: never[]) => unknown): object {
  return new (jspi.Suspending as Jspi['Suspending'])(fn);
}

/** Wraps an export so it may suspend; the call resolves when the export returns. */
export function promising(fn: (...args: never[]) => unknown): (...args: unknown[]) => Promise<unknown> {
  return (jspi.promising as Jspi['promising'])(fn);
}
