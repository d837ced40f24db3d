/**
 * The test-side view of the private containerd that the integration global
 * setup started: `const containerd = useContainerd()` in a test file, then
 * `await containerd.ctr(['run', '--rm', '--runtime', WASMTS_RUNTIME, ...])`.
 */

import { inject } from 'vitest';
import { CtrClient, type ContainerdInfo } from './containerd.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set by test/integration/global-setup.ts. */
    containerd: ContainerdInfo;
  }
}

export { TEST_IMAGES } from './images.js';
export { WASMTS_RUNTIME } from './containerd.js';

export function useContainerd(): CtrClient {
  const info = inject('containerd');
  if (info === undefined) {
    throw new Error('no private containerd: run integration tests with `vitest --project integration` so global-setup.ts starts one');
  }
  return new CtrClient(info);
}

let counter = 0;

/** A container id unique within this run, e.g. `hello-3f2a-1`, so tests never collide. */
export function uniqueId(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid.toString(36)}-${counter}`;
}
