/**
 * The addon with which a warm daemon enters a pod's network namespace, built
 * from source here (scripts/build-native.mjs) and tried on a namespace of a
 * child process's own. Entering moves only the calling thread: it is tried in a
 * worker thread, and the test's own thread must stay where it was.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canEnterNetworkNamespace, enterNetworkNamespace } from '../../../src/shim/daemon/namespace-entry.js';
import { REPO_ROOT } from '../../support/fixtures.js';
import { until } from '../../support/until.js';

let dir: string;
let addon: string;
let holder: ChildProcess;
/** A network namespace of its own (only loopback), held by a sleeping child. */
let namespacePath: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'wasmts-netns-'));
  addon = path.join(dir, 'wasmts-netns.node');
  execFileSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build-native.mjs'), '--out', addon]);
  holder = spawn('unshare', ['--net', '--', 'sleep', '600'], { stdio: 'ignore' });
  namespacePath = `/proc/${holder.pid}/ns/net`;
  const own = readlinkSync('/proc/self/ns/net');
  // unshare runs sleep in the same process once it has unshared.
  await until('the child to have a network namespace of its own', async () => (readlinkSync(namespacePath) !== own ? true : undefined), 5_000);
});

afterAll(async () => {
  holder?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Enters `target` in a worker thread; what that thread's namespace and interfaces are then, or the error. */
function enterInWorker(target: string): Promise<{ namespace: string; interfaces: string[] } | { error: string }> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { readlinkSync } = require('node:fs');
    const os = require('node:os');
    const outcome = require(workerData.addon).enterNetworkNamespace(workerData.target);
    parentPort.postMessage(outcome !== 0 ? { error: String(outcome) } : {
      namespace: readlinkSync('/proc/thread-self/ns/net'),
      interfaces: Object.keys(os.networkInterfaces()),
    });`;
  const worker = new Worker(code, { eval: true, workerData: { addon, target } });
  return new Promise((resolve, reject) => {
    worker.once('message', (message) => {
      resolve(message as { namespace: string; interfaces: string[] } | { error: string });
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

describe('entering a network namespace', () => {
  it('is possible once the addon is built', () => {
    expect(canEnterNetworkNamespace(addon)).toBe(true);
    expect(canEnterNetworkNamespace(path.join(dir, 'absent.node'))).toBe(false);
  });

  it("moves the calling thread into the namespace, and only that thread", async () => {
    const before = readlinkSync('/proc/thread-self/ns/net');
    const entered = await enterInWorker(namespacePath);
    expect(entered).toEqual({ namespace: readlinkSync(namespacePath), interfaces: expect.any(Array) });
    // A fresh namespace has loopback alone, and it is down: Node lists no interface that is not up.
    if ('interfaces' in entered) expect(entered.interfaces.filter((name) => name !== 'lo')).toEqual([]);
    expect(readlinkSync('/proc/thread-self/ns/net')).toBe(before);
  });

  it('says which namespace it cannot enter and why: a missing file, a file that is no namespace', () => {
    const before = readlinkSync('/proc/thread-self/ns/net');
    expect(() => enterNetworkNamespace('/nonexistent/ns/net', addon)).toThrow('cannot enter network namespace /nonexistent/ns/net: open failed with ENOENT');
    expect(() => enterNetworkNamespace('/proc/self/cmdline', addon)).toThrow('cannot enter network namespace /proc/self/cmdline: setns failed with EINVAL');
    expect(readlinkSync('/proc/thread-self/ns/net')).toBe(before);
  });
});
