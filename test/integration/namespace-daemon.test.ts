/**
 * A namespace's containers share one daemon (those of no group or pod that can
 * run in the host's network), which answers containerd's `start` itself and
 * stays between tasks; a guest that needs its own network gets a daemon of its
 * own; and the shared daemon leaves with its containerd.
 */
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PrivateContainerd } from '../support/containerd.js';
import { IMAGES_DIR, REPO_ROOT } from '../support/fixtures.js';
import { runCommand } from '../support/run-command.js';
import { socketPath, socketUri } from '../../src/shim/cli/socket-address.js';
import { NAMESPACE_GROUP } from '../../src/oci/bundle-spec.js';
import { shimsOf } from '../support/rig-cleanup.js';
import { TEST_IMAGES, uniqueId, useContainerd, WASMTS_RUNTIME } from '../support/rig.js';
import { until } from '../support/until.js';
import { isAlive } from '../support/processes.js';
import { daemonOf, removeTask, waitForStatus } from '../support/tasks.js';

const containerd = useContainerd();
const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** `ctr run -d` with extra flags, in the rig's namespace or another; removed after the test. */
async function runDetached(prefix: string, image: string, flags: string[], args: string[] = [], namespace?: string): Promise<string> {
  const id = uniqueId(prefix);
  const opts = namespace === undefined ? {} : { namespace };
  cleanups.push(() => removeTask(containerd, id, namespace));
  await containerd.ctrOk(['run', '-d', ...flags, '--runtime', WASMTS_RUNTIME, image, id, ...args], opts);
  return id;
}

describe("a namespace's shared daemon", () => {
  it('runs the containers of a namespace in one daemon, with a network namespace of their own or the host network, and another namespace in another', async () => {
    const plain = await runDetached('shared-plain', TEST_IMAGES.ticker.reference, []);
    const host = await runDetached('shared-host', TEST_IMAGES.ticker.reference, ['--net-host']);
    const daemon = await daemonOf(containerd, plain);
    expect(await daemonOf(containerd, host)).toBe(daemon);
    // It lives in the host's network: the guests import no socket call, so they reach no network at all.
    expect(await readlink(`/proc/${daemon}/ns/net`)).toBe(await readlink('/proc/self/ns/net'));

    const namespace = uniqueId('other-ns');
    await containerd.ctrOk(['images', 'import', '--all-platforms', path.join(IMAGES_DIR, `${TEST_IMAGES.ticker.name}.tar`)], { namespace });
    const elsewhere = await runDetached('shared-other', TEST_IMAGES.ticker.reference, [], [], namespace);
    expect(await daemonOf(containerd, elsewhere, namespace)).not.toBe(daemon);
  });

  it("answers containerd's start itself while it lives: the wrapper needs no Node.js, unless it belongs to another installation", async () => {
    await runDetached('front-first', TEST_IMAGES.ticker.reference, []);
    // An installation whose dist/ is this one's, but which has no Node.js at all: only the daemon can answer.
    const work = await mkdtemp(path.join(tmpdir(), 'wasmts-front-'));
    cleanups.push(() => rm(work, { recursive: true, force: true }));
    const home = path.join(work, 'home');
    await mkdir(home);
    await symlink(path.join(REPO_ROOT, 'dist'), path.join(home, 'dist'));
    const bundle = path.join(work, 'bundle');
    await mkdir(bundle);
    await writeFile(path.join(bundle, 'config.json'), JSON.stringify({ process: { args: ['/ticker.wasm'] } }));
    const start = (wasmtsHome: string) =>
      runCommand('sh', [path.join(REPO_ROOT, 'bin', 'containerd-shim-wasmts-v1'), '-namespace', containerd.info.namespace, '-address', containerd.info.address, '-publish-binary', '/usr/bin/containerd', '-id', uniqueId('front'), 'start'], {
        cwd: bundle,
        env: { PATH: process.env.PATH, WASMTS_HOME: wasmtsHome, TTRPC_ADDRESS: containerd.info.ttrpcAddress },
      });
    const answered = await start(home);
    const shared = socketUri(socketPath(containerd.info.address, containerd.info.namespace, NAMESPACE_GROUP));
    expect(answered).toMatchObject({ code: 0, stdout: shared });
    expect(await readFile(path.join(bundle, 'address'), 'utf8')).toBe(shared);
    // The wrapper's request directories are gone once answered.
    expect((await readdir('/run/containerd/s')).filter((name) => name.startsWith('wasmts-start-'))).toEqual([]);

    // Another installation's wrapper is not answered by this daemon: it runs its own Node.js (here: none).
    const other = path.join(work, 'other');
    await mkdir(path.join(other, 'dist'), { recursive: true });
    await writeFile(path.join(other, 'dist', 'main.js'), '');
    const refused = await start(other);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(path.join(other, 'node_modules', 'node', 'bin', 'node'));
  });

  it('hands a guest that imports socket calls and asks for its own network to a daemon of its own, in a fresh network namespace, and passes kill and delete on', async () => {
    const ticker = await runDetached('beside-server', TEST_IMAGES.ticker.reference, []);
    const shared = await daemonOf(containerd, ticker);
    const server = uniqueId('own-net');
    await containerd.ctrOk(['run', '-d', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.httpServer.reference, server, '/http-server.wasm', '8080', '127.0.0.1']);
    const own = await daemonOf(containerd, server);
    expect(own).not.toBe(shared);
    expect(await readlink(`/proc/${own}/ns/net`)).not.toBe(await readlink('/proc/self/ns/net'));

    await containerd.ctrOk(['task', 'kill', '-s', 'SIGKILL', server]);
    await waitForStatus(containerd, server, 'STOPPED');
    await containerd.ctrOk(['task', 'delete', server]);
    await containerd.ctrOk(['container', 'delete', server]);
    // Its daemon had only that task; the shared one keeps running its own.
    await until("the server's daemon to exit", async () => (isAlive(own) ? undefined : true), 5_000);
    expect(isAlive(shared)).toBe(true);
  });
});

describe('the shared daemon of a containerd that goes away', () => {
  it('leaves within seconds, with its front FIFO, and no shim is left to kill', async () => {
    const own = await PrivateContainerd.start({ namespace: 'wasmts-shared-exit' });
    let stopped = false;
    try {
      await own.importImage(path.join(IMAGES_DIR, `${TEST_IMAGES.hello.name}.tar`));
      for (let i = 0; i < 2; i++) {
        const run = await own.ctr(['run', '--rm', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.hello.reference, `hello-${i}`]);
        expect(run.stdout).toBe('hello from wasm\n');
      }
      const daemons = (await shimsOf(own.info)).map((s) => s.pid);
      // Between tasks, it stays for the next container.
      expect(daemons).toHaveLength(1);
      const fronts = async () => {
        const names = await readdir('/run/containerd/s');
        const pids = await Promise.all(names.filter((n) => n.startsWith('wasmts-front-') && n.endsWith('.pid')).map((n) => readFile(path.join('/run/containerd/s', n), 'utf8').catch(() => '')));
        return pids.map((p) => Number(p.trim())).filter((p) => daemons.includes(p));
      };
      expect(await fronts()).toEqual(daemons);
      const report = await own.stop();
      stopped = true;
      expect(report.killedShims).toEqual([]);
      expect(daemons.some(isAlive)).toBe(false);
      expect(await fronts()).toEqual([]);
    } finally {
      if (!stopped) await own.stop();
    }
  }, 60_000);
});
