/**
 * The version matrix's daemons for integration tests: containerd 1.7, 2.x
 * and 2.3 and dockerd 28 and 26, installed by scripts/runtimes/setup (and
 * build-containerd-2.3) under /opt/wasmts-runtimes and started and stopped
 * through scripts/runtimes/start and stop, so tests and people run them the
 * same way. Each talks to its daemon with that version's own ctr, or with the
 * prefix's docker CLI.
 *
 * A test file calls `matrixDaemon(name)` while it is collected: it says
 * whether the daemon is installed, and why it is skipped when it is not.
 * `WASMTS_MATRIX_REQUIRED=1` (set by .ci/run) turns an absent daemon into a
 * failing test instead of a skip.
 */

import { spawn } from 'node:child_process';
import { afterAll, beforeAll } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CtrClient, type ContainerdInfo } from './containerd.js';
import { IMAGES_DIR, REPO_ROOT } from './fixtures.js';
import { describeResult, runCommand, type CommandResult, type RunOptions } from './run-command.js';

export const RUNTIMES_PREFIX = process.env.WASMTS_RT_PREFIX ?? '/opt/wasmts-runtimes';
export const RUNTIMES_RUN = process.env.WASMTS_RT_RUN ?? '/run/wasmts-rt';
export const MATRIX_NAMESPACE = 'wasmts-matrix';
const SCRIPTS = path.join(REPO_ROOT, 'scripts', 'runtimes');

export type ContainerdName = 'ctd17' | 'ctd2' | 'ctd23';
export type DockerName = 'docker28' | 'docker26';
export type DaemonName = ContainerdName | DockerName;

interface DaemonDescription {
  /** What the tests are named after. */
  label: string;
  /** The version the daemon must report, e.g. /^1\.7\./. */
  expectedVersion: RegExp;
  /** How to get it when it is absent. */
  install: string;
  /** Not installed by scripts/runtimes/setup, so absent even where the matrix is required. */
  optional?: boolean;
}

const DAEMONS: Record<DaemonName, DaemonDescription> = {
  ctd17: { label: 'containerd 1.7', expectedVersion: /^1\.7\./, install: 'scripts/runtimes/setup' },
  ctd2: { label: 'containerd 2.x (Debian forky)', expectedVersion: /^2\./, install: 'scripts/runtimes/setup' },
  ctd23: {
    label: 'containerd 2.3',
    expectedVersion: /^2\.3\./,
    install: 'scripts/runtimes/build-containerd-2.3 (manual: needs the containerd source on the machine)',
    optional: true,
  },
  docker28: { label: 'Docker Engine 28', expectedVersion: /^28\./, install: 'scripts/runtimes/setup' },
  docker26: { label: 'Docker Engine 26', expectedVersion: /^26\./, install: 'scripts/runtimes/setup' },
};

/** The containerd each dockerd uses (scripts/runtimes/lib.sh). */
export const DOCKER_CONTAINERD: Record<DockerName, ContainerdName> = { docker28: 'ctd2', docker26: 'ctd17' };

export interface MatrixDaemon extends DaemonDescription {
  name: DaemonName;
  installed: boolean;
  /** Why the tests of this daemon do not run, when it is not installed. */
  absentReason: string | undefined;
}

/** Whether `name` is installed; call while tests are collected. */
export function matrixDaemon(name: DaemonName): MatrixDaemon {
  const description = DAEMONS[name];
  const installed = existsSync(path.join(RUNTIMES_PREFIX, name));
  const absentReason = installed
    ? undefined
    : `${name} is not installed in ${RUNTIMES_PREFIX}: run ${description.install}`;
  return { name, ...description, installed, absentReason };
}

/** Whether an absent `daemon` fails the run rather than skipping its tests. */
export function matrixRequired(daemon: Pick<MatrixDaemon, 'optional'>): boolean {
  return process.env.WASMTS_MATRIX_REQUIRED === '1' && daemon.optional !== true;
}

export function socketOf(name: DaemonName): string {
  return path.join(RUNTIMES_RUN, name, name.startsWith('ctd') ? 'containerd.sock' : 'docker.sock');
}

async function runScript(script: 'start' | 'stop', args: readonly string[]): Promise<CommandResult> {
  const result = await runCommand(path.join(SCRIPTS, script), args, { timeoutMs: 110_000 });
  if (result.code !== 0) throw new Error(describeResult(`scripts/runtimes/${script} ${args.join(' ')}`, result));
  return result;
}

/**
 * Starts `name` unless it already runs (a dockerd also starts its containerd)
 * and holds a lease on it for this test process, so that concurrent test runs
 * share the daemons. The returned function gives the lease back; the last
 * lease stops a daemon that was started for leases, never one a person started.
 */
export async function useDaemon(name: DaemonName): Promise<() => Promise<void>> {
  const lease = String(process.pid);
  await runScript('start', ['--lease', lease, name]);
  return async () => {
    await runScript('stop', ['--lease', lease, name]);
  };
}

/** `ctr` of the daemon's own version, on its socket. */
export class MatrixCtr extends CtrClient {
  constructor(name: ContainerdName, namespace = MATRIX_NAMESPACE) {
    const address = socketOf(name);
    const info: ContainerdInfo = {
      address,
      ttrpcAddress: `${address}.ttrpc`,
      namespace,
      root: path.join(RUNTIMES_PREFIX, 'var', name),
      state: path.join(RUNTIMES_RUN, name),
      snapshotter: 'overlayfs',
      logPath: path.join(RUNTIMES_PREFIX, 'log', `${name}.log`),
      binDir: path.join(REPO_ROOT, 'bin'),
    };
    super(info, path.join(RUNTIMES_PREFIX, name, 'usr', 'bin', 'ctr'));
  }
}

/** The prefix's docker CLI on one dockerd. */
export class DockerClient {
  readonly name: DockerName;
  readonly binary = path.join(RUNTIMES_PREFIX, 'dockercli', 'usr', 'bin', 'docker');

  constructor(name: DockerName) {
    this.name = name;
  }

  get host(): string {
    return `unix://${socketOf(this.name)}`;
  }

  /** The CLI neither reads nor writes the invoking user's ~/.docker. */
  private get env(): NodeJS.ProcessEnv {
    return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', DOCKER_CONFIG: path.join(RUNTIMES_RUN, 'docker-cli-config') };
  }

  /** `docker --host … args`; never throws for a non-zero exit; killed after `timeoutMs` (default 30 s). */
  docker(args: readonly string[], options: Pick<RunOptions, 'timeoutMs' | 'input'> = {}): Promise<CommandResult> {
    return runCommand(this.binary, ['--host', this.host, ...args], { ...options, env: this.env });
  }

  async dockerOk(args: readonly string[], options: Pick<RunOptions, 'timeoutMs' | 'input'> = {}): Promise<string> {
    const result = await this.docker(args, options);
    if (result.code !== 0) throw new Error(describeResult(`docker ${args.join(' ')}`, result));
    return result.stdout;
  }

  /** Spawns a long-running docker command (e.g. `logs -f`), killed after `timeoutMs` at the latest. */
  spawn(args: readonly string[], timeoutMs: number) {
    const child = spawn(this.binary, ['--host', this.host, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: this.env });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', () => {});
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    const guard = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    void exited.then(() => clearTimeout(guard));
    return {
      output: () => stdout,
      exited,
      kill: () => child.kill('SIGKILL'),
    };
  }
}

/** Polls until `read` returns something for which `done` holds, or throws after `timeoutMs`. */
export async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (performance.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms; last seen: ${JSON.stringify(value)}`);
    await sleep(50);
  }
}

/**
 * Runs `action` up to `attempts` times, 500 ms apart. For image imports: two test
 * runs importing the same image into one daemon at once may find its content locked.
 */
export async function retried<T>(attempts: number, action: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await action();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await sleep(500);
    }
  }
}

/**
 * For a test file's `describe` of one dockerd: starts (leases) it and loads the
 * images (test images' names, from build/images) before the tests; afterwards
 * removes every container labelled `label`, then releases the dockerd.
 */
export function useDockerWithImages(docker: DockerClient, label: string, images: readonly { name: string }[]): void {
  let release: () => Promise<void> = async () => {};
  beforeAll(async () => {
    release = await useDaemon(docker.name);
    for (const image of images) {
      await retried(3, () => docker.dockerOk(['load', '--input', path.join(IMAGES_DIR, `${image.name}.tar`)], { timeoutMs: 60_000 }));
    }
  });
  afterAll(async () => {
    const left = (await docker.docker(['ps', '-a', '-q', '--filter', `label=${label}`])).stdout.split('\n').filter(Boolean);
    if (left.length > 0) await docker.docker(['rm', '--force', ...left], { timeoutMs: 60_000 });
    await release();
  });
}

/** A containerd a test runs its own private instance of: the host's 1.6, and the matrix's 1.7 and 2.x. */
export interface ContainerdTarget {
  label: string;
  /** The containerd binary; empty when a required daemon is not installed (its tests then fail, saying so). */
  binary: string;
}

/** containerd 1.6 (the host's), 1.7 and 2.x when installed; an absent one is skipped unless the matrix is required. */
export function containerdTargets(): ContainerdTarget[] {
  const targets: ContainerdTarget[] = [{ label: 'containerd 1.6', binary: '/usr/bin/containerd' }];
  for (const name of ['ctd17', 'ctd2'] as const) {
    const row = matrixDaemon(name);
    if (row.absentReason === undefined) targets.push({ label: row.label, binary: path.join(RUNTIMES_PREFIX, name, 'usr', 'bin', 'containerd') });
    else if (matrixRequired(row)) targets.push({ label: row.label, binary: '' });
  }
  return targets;
}
