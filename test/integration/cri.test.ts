/**
 * Kubernetes pods under RuntimeClass handler `wasmts`, driven through
 * containerd's CRI plugin as kubelet drives it: one on the host's network, one
 * on a network namespace of its own (from a fake CNI network that configures
 * nothing, see fake-cni.ts). This file starts its own containerd (the shared
 * rig runs without CRI) and imports the test images into k8s.io.
 */

import { existsSync } from 'node:fs';
import net from 'node:net';
import { mkdir, mkdtemp, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrivateContainerd } from '../support/containerd.js';
import { writeConfigMap } from '../support/config-map.js';
import { FakeDns } from '../support/fake-dns.js';
import { CriClient } from '../support/cri-client.js';
import { FAKE_POD_IP, writeFakeCni } from '../support/fake-cni.js';
import { IMAGES_DIR } from '../support/fixtures.js';
import { TEST_IMAGES } from '../support/images.js';
import { shimsOf, unsharedShimsOf } from '../support/rig-cleanup.js';
import { assertSameBytes, ENDING_STATUS, ENDINGS, expectedStderr, expectedStdout, splitTrapReport } from '../support/stdio-pattern.js';
import { until } from '../support/until.js';

const CRI_NAMESPACE = 'k8s.io';
/** Any image does for the sandbox: wasmts never runs its entrypoint (here a Linux ELF, like pause). */
const SANDBOX_IMAGE = TEST_IMAGES.linuxBinary;
const HOST_NETWORK = { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' };
const POD_NETWORK = { network: 'POD', pid: 'CONTAINER', ipc: 'POD' };

let containerd: PrivateContainerd;
let cri: CriClient;
let logDirectory: string;
let cniDirectory: string;

beforeAll(async () => {
  cniDirectory = await mkdtemp(path.join(tmpdir(), 'wasmts-cri-cni-'));
  containerd = await PrivateContainerd.start({
    namespace: CRI_NAMESPACE,
    cri: { sandboxImage: SANDBOX_IMAGE.reference, cni: await writeFakeCni(cniDirectory) },
    // No warm spare daemons, so that "no shim remains" means no process at all.
    env: { WASMTS_SPARE: '0' },
  });
  for (const image of [SANDBOX_IMAGE, TEST_IMAGES.hello, TEST_IMAGES.exitCode, TEST_IMAGES.stdioBurst, TEST_IMAGES.cat, TEST_IMAGES.files, TEST_IMAGES.tcpClient]) {
    await containerd.importImage(path.join(IMAGES_DIR, `${image.name}.tar`));
  }
  cri = new CriClient(containerd.address);
  logDirectory = await mkdtemp(path.join(tmpdir(), 'wasmts-cri-pod-logs-'));
});

afterAll(async () => {
  cri?.close();
  const report = await containerd?.stop();
  for (const dir of [logDirectory, cniDirectory]) {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  }
  expect(report?.killedShims ?? []).toEqual([]);
});

type ContainerStatus = { state: string; exit_code: number; reason: string; log_path: string };
type PodConfig = { metadata: { name: string }; linux: { security_context: { namespace_options: object } } };
type SpecNamespace = { type: string; path?: string };

function podConfig(name: string, namespaceOptions: object, extra: object = {}): PodConfig {
  const uid = `uid-${name}-${process.pid}-${Date.now()}`;
  return {
    ...extra,
    metadata: { name, uid, namespace: 'default', attempt: 0 },
    hostname: name,
    log_directory: path.join(logDirectory, name),
    labels: { 'io.kubernetes.pod.uid': uid },
    linux: { security_context: { namespace_options: namespaceOptions } },
  } as PodConfig;
}

/** RunPodSandbox with handler wasmts; returns the pod id, the pid CRI holds for it, and what CRI reports. */
async function runPod(config: PodConfig) {
  const { pod_sandbox_id: podId } = await cri.runtimeCall<{ pod_sandbox_id: string }>('RunPodSandbox', {
    config,
    runtime_handler: 'wasmts',
  });
  const { status, info } = await cri.runtimeCall<{ status: { state: string; network: { ip: string } }; info: Record<string, string> }>(
    'PodSandboxStatus',
    { pod_sandbox_id: podId, verbose: true },
  );
  const verbose = JSON.parse(info.info ?? '{}') as { pid?: number; runtimeSpec?: { linux?: { namespaces?: SpecNamespace[] } } };
  return { podId, status, pid: verbose.pid ?? 0, namespaces: verbose.runtimeSpec?.linux?.namespaces ?? [] };
}

/** CreateContainer + StartContainer, then ContainerStatus until it has exited. */
async function runToExit(podId: string, pod: PodConfig, name: string, image: string, command: string[] = [], mounts: object[] = []) {
  const { container_id: containerId } = await cri.runtimeCall<{ container_id: string }>('CreateContainer', {
    pod_sandbox_id: podId,
    config: {
      metadata: { name, attempt: 0 },
      image: { image },
      command,
      mounts,
      log_path: `${name}/0.log`,
      linux: { security_context: { namespace_options: pod.linux.security_context.namespace_options } },
    },
    sandbox_config: pod,
  });
  await cri.runtimeCall('StartContainer', { container_id: containerId });
  return until(`container ${name} to exit`, async () => {
    const { status, info } = await cri.runtimeCall<{ status: ContainerStatus; info: Record<string, string> }>(
      'ContainerStatus',
      { container_id: containerId, verbose: true },
      5_000,
    );
    if (status.state !== 'CONTAINER_EXITED') return undefined;
    const verbose = JSON.parse(info.info ?? '{}') as { runtimeSpec?: { linux?: { namespaces?: SpecNamespace[] } } };
    return { ...status, namespaces: verbose.runtimeSpec?.linux?.namespaces ?? [] };
  });
}

/** StopPodSandbox + RemovePodSandbox, then nothing of the pod may remain: no sandbox, no container, no shim process. */
async function removePod(podId: string, sandboxPid: number): Promise<void> {
  await cri.runtimeCall('StopPodSandbox', { pod_sandbox_id: podId });
  await cri.runtimeCall('RemovePodSandbox', { pod_sandbox_id: podId });
  const { items } = await cri.runtimeCall<{ items: unknown[] }>('ListPodSandbox', {});
  expect(items).toEqual([]);
  const { containers } = await cri.runtimeCall<{ containers: unknown[] }>('ListContainers', {});
  expect(containers).toEqual([]);
  // The sandbox's pid is its daemon's: once the pod is gone, so is every shim process.
  await until("the pod's shim to exit", async () => ((await unsharedShimsOf(containerd.info)).length === 0 ? true : undefined), 10_000);
  expect(await isRunning(sandboxPid)).toBe(false);
}

/**
 * Both streams back out of a CRI log file (`<time> <stream> <F|P> <text>` lines:
 * F ends a line, P is a piece of one, including an unterminated last line).
 */
function parseCriLog(text: string): { stdout: string; stderr: string } {
  const streams = { stdout: '', stderr: '' };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const match = /^\S+ (stdout|stderr) ([FP]) (.*)$/s.exec(line);
    if (match === null) throw new Error(`not a CRI log line: ${JSON.stringify(line.slice(0, 80))}`);
    const [, stream, tag, content] = match as unknown as [string, 'stdout' | 'stderr', string, string];
    streams[stream] += tag === 'F' ? `${content}\n` : content;
  }
  return streams;
}

/** Running, as opposed to gone or a zombie its reaper (containerd, a subreaper) has not collected yet. */
async function isRunning(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== '' && state !== 'Z' && state !== 'X';
}

describe('a pod with RuntimeClass handler wasmts', () => {
  it('runs a wasm container in a host-network pod, logs its output through CRI and cleans up', async () => {
    const pod = podConfig('hello-pod', HOST_NETWORK);
    const { podId, status: sandbox, pid: sandboxPid } = await runPod(pod);
    expect(sandbox.state).toBe('SANDBOX_READY');
    expect(sandboxPid).toBeGreaterThan(0);
    expect(await isRunning(sandboxPid)).toBe(true);

    const hello = await runToExit(podId, pod, 'hello', TEST_IMAGES.hello.reference);
    expect(hello.exit_code).toBe(0);
    expect(hello.log_path).toBe(path.join(logDirectory, 'hello-pod', 'hello', '0.log'));
    // CRI log lines: `<time> <stream> <F|P> <text>`; containerd may write the last lines just after the exit.
    const log = await until(
      'the container log',
      async () => {
        const text = await readFile(hello.log_path, 'utf8').catch(() => '');
        return text.includes('stderr F hello on stderr') && text.includes('stdout F hello from wasm') ? text : undefined;
      },
      5_000,
    );
    expect(log).toMatch(/^\S+ stdout F hello from wasm$/m);

    // A second container of the same pod, in the same daemon: its exit code reaches CRI.
    const failed = await runToExit(podId, pod, 'exit-3', TEST_IMAGES.exitCode.reference, ['/exit-code.wasm', '3']);
    expect(failed).toMatchObject({ exit_code: 3, reason: 'Error' });
    expect(await isRunning(sandboxPid)).toBe(true);
    // One daemon serves the whole pod, and the sandbox reports its pid.
    expect((await unsharedShimsOf(containerd.info)).map((shim) => shim.pid)).toEqual([sandboxPid]);

    await removePod(podId, sandboxPid);
  });

  it('writes every byte a container wrote to its CRI log file, whichever way it ends', async () => {
    const pod = podConfig('burst-pod', HOST_NETWORK);
    const { podId, pid: sandboxPid } = await runPod(pod);
    for (const size of [0, 65537, 1_000_000]) {
      for (const ending of ENDINGS) {
        const name = `burst-${size}-${ending}`;
        const what = `${size} bytes, ${ending}, CRI log`;
        const exited = await runToExit(podId, pod, name, TEST_IMAGES.stdioBurst.reference, ['/stdio-burst.wasm', String(size), String(size), ending]);
        expect(exited.exit_code, what).toBe(ENDING_STATUS[ending]);
        // containerd may finish writing the log just after the exit.
        const wanted = 2 * size + (ending === 'trap' ? 1 : 0);
        const streams = await until(`${what} to be complete`, async () => {
          const parsed = parseCriLog(await readFile(exited.log_path, 'latin1').catch(() => ''));
          return parsed.stdout.length + parsed.stderr.length >= wanted ? parsed : undefined;
        }, 10_000);
        const { written, report } = splitTrapReport(streams.stderr);
        assertSameBytes(streams.stdout, expectedStdout(size), `${what}, stdout`);
        assertSameBytes(written, expectedStderr(size), `${what}, stderr`);
        if (ending === 'trap') expect(report).toMatch(/^wasm trap: unreachable/);
      }
    }
    await removePod(podId, sandboxPid);
  }, 300_000);

  it('ends a stdin: true, stdin_once: true container at once when its attach closes stdin without sending anything', async () => {
    const pod = podConfig('stdin-pod', HOST_NETWORK);
    const { podId, pid: sandboxPid } = await runPod(pod);
    const { container_id: containerId } = await cri.runtimeCall<{ container_id: string }>('CreateContainer', {
      pod_sandbox_id: podId,
      config: {
        metadata: { name: 'cat', attempt: 0 },
        image: { image: TEST_IMAGES.cat.reference },
        stdin: true,
        stdin_once: true,
        log_path: 'cat/0.log',
        linux: { security_context: { namespace_options: pod.linux.security_context.namespace_options } },
      },
      sandbox_config: pod,
    });
    await cri.runtimeCall('StartContainer', { container_id: containerId });
    const state = async () =>
      (await cri.runtimeCall<{ status: ContainerStatus }>('ContainerStatus', { container_id: containerId }, 5_000)).status;
    // It waits for its input: nothing has attached yet.
    await sleep(500);
    expect((await state()).state).toBe('CONTAINER_RUNNING');
    // Attach as kubectl would (websocket, channel protocol), and end the session with an empty stdin.
    const { url } = await cri.runtimeCall<{ url: string }>('Attach', { container_id: containerId, stdin: true, stdout: true, stderr: true });
    const socket = new WebSocket(url.replace(/^http/, 'ws'), ['v4.channel.k8s.io', 'channel.k8s.io']);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener('open', () => resolve());
      socket.addEventListener('error', () => reject(new Error(`cannot attach through ${url}`)));
    });
    socket.close();
    const exited = await until('the container to see end of file and exit', async () => {
      const status = await state();
      return status.state === 'CONTAINER_EXITED' ? status : undefined;
    }, 10_000);
    expect(exited.exit_code).toBe(0);
    await removePod(podId, sandboxPid);
  });

  it('removes a pod at once after its container ended on its own, before CRI saw the exit', async () => {
    for (let round = 0; round < 5; round++) {
      const pod = podConfig(`quick-pod-${round}`, HOST_NETWORK);
      const { podId, pid: sandboxPid } = await runPod(pod);
      const { container_id: containerId } = await cri.runtimeCall<{ container_id: string }>('CreateContainer', {
        pod_sandbox_id: podId,
        config: {
          metadata: { name: 'hello', attempt: 0 },
          image: { image: TEST_IMAGES.hello.reference },
          log_path: 'hello/0.log',
          linux: { security_context: { namespace_options: pod.linux.security_context.namespace_options } },
        },
        sandbox_config: pod,
      });
      await cri.runtimeCall('StartContainer', { container_id: containerId });
      await removePod(podId, sandboxPid);
    }
  });

  it('shows hostPath volumes read-only and read-write, a ConfigMap volume with its updates, and the pod\'s /etc/hostname', async () => {
    const volumes = await mkdtemp(path.join(tmpdir(), 'wasmts-cri-volumes-'));
    const data = path.join(volumes, 'data');
    const configMap = path.join(volumes, 'config');
    await mkdir(data);
    writeConfigMap(configMap, '01', { greeting: 'hello v1\n' });
    const pod = podConfig('volume-pod', HOST_NETWORK);
    const { podId, pid: sandboxPid } = await runPod(pod);
    const mounts = [
      { container_path: '/data', host_path: data },
      { container_path: '/etc/config', host_path: configMap, readonly: true },
    ];
    const first = await runToExit(podId, pod, 'files-1', TEST_IMAGES.files.reference, [
      '/files.wasm', 'cat', '/etc/config/greeting', 'write', '/data/out.txt', 'from a pod', 'write', '/etc/config/greeting', 'x',
      'rm', '/etc/hostname', 'cat', '/etc/hostname',
    ], mounts);
    expect(first.exit_code).toBe(2);
    const expected = [
      'hello v1', 'wrote /data/out.txt', 'write /etc/config/greeting: Read-only file system',
      'rm /etc/hostname: Resource busy', 'volume-pod', '',
    ].join('\n');
    const log = await until('the first log', async () => {
      const { stdout } = parseCriLog(await readFile(first.log_path, 'utf8').catch(() => ''));
      return stdout.length >= expected.length ? stdout : undefined;
    }, 5_000);
    expect(log).toBe(expected);
    expect(await readFile(path.join(data, 'out.txt'), 'utf8')).toBe('from a pod\n');

    // kubelet updates a ConfigMap volume by swapping ..data: a container that opens the key again sees the new value.
    writeConfigMap(configMap, '02', { greeting: 'hello v2\n' });
    const second = await runToExit(podId, pod, 'files-2', TEST_IMAGES.files.reference, ['/files.wasm', 'cat', '/etc/config/greeting'], mounts);
    expect(second.exit_code).toBe(0);
    const updated = await until('the second log', async () => {
      const { stdout } = parseCriLog(await readFile(second.log_path, 'utf8').catch(() => ''));
      return stdout.length > 0 ? stdout : undefined;
    }, 5_000);
    expect(updated).toBe('hello v2\n');

    await removePod(podId, sandboxPid);
    await rm(volumes, { recursive: true, force: true });
  });

  it("resolves names through the pod's DNS config (its nameserver and search domains), not the node's", async () => {
    const dns = await FakeDns.start('127.53.0.9', { 'backend.wasm.test': ['127.0.0.1'] });
    const echo = net.createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', () => resolve()));
    const port = (echo.address() as net.AddressInfo).port;
    try {
      const pod = podConfig('dns-pod', HOST_NETWORK, { dns_config: { servers: ['127.53.0.9'], searches: ['wasm.test'], options: ['ndots:2'] } });
      const { podId, pid: sandboxPid } = await runPod(pod);
      const client = await runToExit(podId, pod, 'client', TEST_IMAGES.tcpClient.reference, ['/tcp-client.wasm', 'backend', String(port), 'ping']);
      const log = await until('the client log', async () => {
        const { stdout } = parseCriLog(await readFile(client.log_path, 'utf8').catch(() => ''));
        return stdout.includes('reply:') ? stdout : undefined;
      }, 5_000);
      expect(client.exit_code).toBe(0);
      expect(log).toContain(`connected to 127.0.0.1 port ${port}`);
      expect(log).toContain('reply: ping');
      expect(dns.questions).toContain('backend.wasm.test A');
      await removePod(podId, sandboxPid);
    } finally {
      echo.close();
      await dns.close();
    }
  });

  it("keeps a pod's containers in the network namespace CNI set up for the pod", async () => {
    const pod = podConfig('netns-pod', POD_NETWORK);
    const { podId, status: sandbox, pid: sandboxPid, namespaces } = await runPod(pod);
    expect(sandbox).toMatchObject({ state: 'SANDBOX_READY', network: { ip: FAKE_POD_IP } });
    const pinned = namespaces.find((ns) => ns.type === 'network')?.path ?? '';
    expect(pinned).not.toBe('');
    // The sandbox's pid (its daemon) lives in the pod's namespace, not the host's.
    const [podNet, daemonNet, hostNet] = await Promise.all([
      stat(pinned).then((st) => `net:[${st.ino}]`),
      readlink(`/proc/${sandboxPid}/ns/net`),
      readlink('/proc/self/ns/net'),
    ]);
    expect(daemonNet).toBe(podNet);
    expect(daemonNet).not.toBe(hostNet);

    const hello = await runToExit(podId, pod, 'hello', TEST_IMAGES.hello.reference);
    expect(hello.exit_code).toBe(0);
    // CRI has the container join the sandbox's namespace through its pid.
    expect(hello.namespaces).toContainEqual({ type: 'network', path: `/proc/${sandboxPid}/ns/net` });

    await removePod(podId, sandboxPid);
    expect(existsSync(pinned)).toBe(false);
  });
});
