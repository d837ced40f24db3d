/**
 * Where the built test fixtures live, and how to (re)build them. Sources are
 * in test/fixtures/; scripts/build-fixtures.mjs compiles them into
 * build/fixtures/ and skips outputs that are up to date.
 */

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeResult, runCommand } from './run-command.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES_DIR = path.join(REPO_ROOT, 'build', 'fixtures');
export const IMAGES_DIR = path.join(REPO_ROOT, 'build', 'images');

/** Names of everything build-fixtures.mjs produces. */
export type FixtureName =
  | 'hello.wasm'
  | 'echo-args-env.wasm'
  | 'exit-code.wasm'
  | 'ticker.wasm'
  | 'trap.wasm'
  | 'missing-import.wasm'
  | 'cat.wasm'
  | 'files.wasm'
  | 'tty-probe.wasm'
  | 'spin.wasm'
  | 'memhog.wasm'
  | 'stdio-burst.wasm'
  | 'deep-recursion.wasm'
  | 'http-server.wasm'
  | 'http-server.native'
  | 'tcp-client.wasm'
  | 'udp-echo.wasm'
  | 'tcplisten-server.wasm'
  | 'hello-rust.wasm'
  | 'exit-wat.wasm'
  | 'truncated.wasm'
  | 'not-wasm.txt'
  | 'linux-binary'
  | 'pause';

/** Absolute path of a built fixture, e.g. `fixturePath('hello.wasm')`. */
export function fixturePath(name: FixtureName): string {
  return path.join(FIXTURES_DIR, name);
}

/** Builds any missing or stale fixtures; throws with the compiler output on failure. */
export async function ensureFixtures(): Promise<void> {
  const result = await runCommand(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build-fixtures.mjs')], {
    timeoutMs: 180_000,
    cwd: REPO_ROOT,
  });
  if (result.code !== 0) {
    throw new Error(describeResult('node scripts/build-fixtures.mjs', result));
  }
}
