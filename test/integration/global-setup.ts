/**
 * Integration global setup: build the shim and the fixtures, write the test
 * images, start a private containerd, import the images, and hand the rig's
 * address to the tests (`inject('containerd')`, via test/support/rig.ts).
 *
 * Environment knobs:
 * - WASMTS_SKIP_BUILD=1       do not run `npm run build` (test the existing dist/)
 * - WASMTS_KEEP_RIG=1         keep the rig's directory (containerd log, bundles) after the run
 * - WASMTS_CONTAINERD_LOG_LEVEL=debug   containerd's log level (default info)
 */

import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { PrivateContainerd } from '../support/containerd.js';
import { ensureFixtures, REPO_ROOT } from '../support/fixtures.js';
import { buildTestImages } from '../support/images.js';
import { describeResult, runCommand } from '../support/run-command.js';
import '../support/rig.js';

let containerd: PrivateContainerd | undefined;

export async function setup(project: TestProject): Promise<void> {
  await buildShim();
  await ensureFixtures();
  const images = await buildTestImages();

  containerd = await PrivateContainerd.start({
    logLevel: process.env.WASMTS_CONTAINERD_LOG_LEVEL ?? 'info',
  });
  try {
    for (const image of images) {
      await containerd.importImage(image.tarPath);
    }
  } catch (err) {
    await teardown();
    throw err;
  }
  project.provide('containerd', containerd.info);
}

export async function teardown(): Promise<void> {
  if (containerd === undefined) return;
  const keepFiles = process.env.WASMTS_KEEP_RIG === '1';
  const report = await containerd.stop({ keepFiles });
  if (report.leftovers.length > 0 || report.killedShims.length > 0) {
    console.warn(
      `global-setup: tests left ${report.leftovers.join(', ') || 'no containers'} behind; ` +
        `killed shim pids ${report.killedShims.join(', ') || 'none'}`,
    );
  }
  if (keepFiles) console.warn(`global-setup: kept the containerd rig; log at ${containerd.info.logPath}`);
  containerd = undefined;
  // Daemons warmed up for the next container outlive the run otherwise (until their idle timeout).
  await runCommand('pkill', ['-f', `${path.join(REPO_ROOT, 'dist', 'main.js')} spare`], { timeoutMs: 5_000 });
}

/** bin/containerd-shim-wasmts-v1 runs dist/, so the shim must be compiled first. */
async function buildShim(): Promise<void> {
  if (process.env.WASMTS_SKIP_BUILD === '1') return;
  const result = await runCommand('npm', ['run', '--silent', 'build'], { cwd: REPO_ROOT, timeoutMs: 300_000 });
  if (result.code !== 0) {
    throw new Error(
      `${describeResult('npm run build', result)}\n\n` +
        'global-setup: the TypeScript build failed, so bin/containerd-shim-wasmts-v1 would run a stale or missing dist/. ' +
        'Fix the compile errors above, or set WASMTS_SKIP_BUILD=1 to run against the existing dist/.',
    );
  }
}
