import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerd } from '../../src/generated/index.js';
import { TtrpcClient } from '../../src/ttrpc/index.js';
import { REPO_ROOT } from '../support/fixtures.js';
import { runCommand } from '../support/run-command.js';

const SHIM = path.join(REPO_ROOT, 'bin', 'containerd-shim-wasmts-v1');

function shim(args: string[], options: { cwd?: string; input?: Uint8Array } = {}) {
  return runCommand(SHIM, args, { timeoutMs: 15_000, ...options });
}

/** Runs the shim with an empty stdin (as containerd does without options) and returns its raw stdout. */
function shimBinary(args: string[], cwd: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(SHIM, args, { cwd, encoding: 'buffer', timeout: 15_000 }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
    child.stdin?.end();
  });
}

let bundle: string;

beforeAll(async () => {
  bundle = await mkdtemp(path.join(tmpdir(), 'wasmts-cli-'));
  await writeFile(path.join(bundle, 'config.json'), JSON.stringify({ process: { args: ['/x.wasm'] }, root: { path: 'rootfs' } }));
});

afterAll(async () => {
  await rm(bundle, { recursive: true, force: true });
});

describe('containerd-shim-wasmts-v1', () => {
  it('prints its version with -v', async () => {
    const result = await shim(['-v']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^containerd-shim-wasmts-v1:\n {2}Version: {2}\d+\.\d+\.\d+/);
  });

  it('answers -info with a RuntimeInfo naming the runtime', async () => {
    const out = await shimBinary(['-info'], bundle);
    const info = containerd.types.RuntimeInfo.decode(out);
    expect(info.name).toBe('io.containerd.wasmts.v1');
    expect(info.version?.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('answers delete with a DeleteResponse of status 137, again and again', async () => {
    for (let i = 0; i < 2; i++) {
      const out = await shimBinary(['-namespace', 'cli', '-address', '/nowhere.sock', '-id', 'gone', '-bundle', bundle, 'delete'], bundle);
      const response = containerd.task.v2.DeleteResponse.decode(out);
      expect(response.exitStatus).toBe(137);
      expect(response.exitedAt?.seconds).toBeGreaterThan(0);
    }
  });

  it("answers delete from its sh fast path with the very bytes the TypeScript delete prints for the same bundle", async () => {
    const args = ['-namespace', 'cli', '-address', '/nowhere.sock', '-id', 'gone', '-bundle', bundle, 'delete'];
    const typescript = (): Promise<Buffer> =>
      new Promise((resolve, reject) => {
        const node = path.join(REPO_ROOT, 'node_modules', 'node', 'bin', 'node');
        const child = execFile(node, [path.join(REPO_ROOT, 'dist', 'main.js'), ...args], { cwd: bundle, encoding: 'buffer', timeout: 15_000 }, (error, stdout) =>
          error ? reject(error) : resolve(stdout),
        );
        child.stdin?.end();
      });
    // Both stamp exited_at with the current second: try until both ran within one.
    let fast: Buffer = Buffer.alloc(0);
    let full: Buffer = Buffer.alloc(1);
    for (let attempt = 0; attempt < 5 && !fast.equals(full); attempt++) {
      fast = await shimBinary(args, bundle);
      full = await typescript();
    }
    expect(fast.toString('hex')).toBe(full.toString('hex'));
    expect(containerd.task.v2.DeleteResponse.decode(full).exitStatus).toBe(137);
  });

  it('prints only the address on start, writes the address file, and reuses the live daemon', async () => {
    const args = ['-namespace', 'cli', '-address', `${bundle}/containerd.sock`, '-publish-binary', '/usr/bin/containerd', '-id', 'c1', 'start'];
    const first = await shim(args, { cwd: bundle });
    expect(first.code).toBe(0);
    expect(first.stderr).toBe('');
    expect(first.stdout).toMatch(/^unix:\/\/\/run\/containerd\/s\/[0-9a-f]{64}$/);
    expect(await readFile(path.join(bundle, 'address'), 'utf8')).toBe(first.stdout);
    const second = await shim(args, { cwd: bundle });
    expect(second.stdout).toBe(first.stdout);

    const socketFile = first.stdout.slice('unix://'.length);
    const client = await TtrpcClient.connect(socketFile);
    const v2 = containerd.task.v2;
    const connect = v2.ConnectResponse.decode(
      await client.call('containerd.task.v2.Task', 'Connect', v2.ConnectRequest.encode({ id: 'c1' }).finish()),
    );
    expect(connect.shimPid).toBeGreaterThan(0);
    expect(connect.taskPid).toBe(0);
    await client.call('containerd.task.v2.Task', 'Shutdown', v2.ShutdownRequest.encode({ id: 'c1' }).finish()).catch(() => undefined);
    await client.close();
    for (let i = 0; i < 50 && existsSync(socketFile); i++) await sleep(20);
    expect(existsSync(socketFile)).toBe(false);
  });

  it('fails start with one line on stderr when -id is missing', async () => {
    const result = await shim(['-namespace', 'cli', '-address', '/x.sock', 'start'], { cwd: bundle });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('-id is required');
  });
});
