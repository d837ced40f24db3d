/**
 * Wasm OCI artifacts (config application/vnd.wasm.config.v0/v1+json, the module
 * as an application/wasm layer) on containerd 1.6, 1.7 and 2.x, through ctr and
 * through CRI as kubelet drives it. containerd cannot unpack them: the
 * container's rootfs is empty and the shim reads the module from containerd's
 * content store. Each containerd is a private one started here, with CRI on.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACT_MEDIA_TYPE, writeArtifact, type ArtifactOptions, type BuiltArtifact } from '../../tools/image/artifact-builder.js';
import { PrivateContainerd, WASMTS_RUNTIME } from '../support/containerd.js';
import { CriClient } from '../support/cri-client.js';
import { fixturePath, IMAGES_DIR } from '../support/fixtures.js';
import { TEST_IMAGES } from '../support/images.js';
import { shimsOf, unsharedShimsOf } from '../support/rig-cleanup.js';
import { containerdTargets } from '../support/runtimes.js';
import { until } from '../support/until.js';

const IMAGE_LABEL = 'io.containerd.wasmts.v1.image';
const GROUP_ANNOTATION = 'io.containerd.wasmts.v1.group';
const SANDBOX_IMAGE = TEST_IMAGES.linuxBinary;
const HOST_NETWORK = { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' };
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const targets = containerdTargets();

/** The artifacts every target imports: echo-args-env.wasm (prints `arg[i]=…` and `env=…` lines) as v0 and v1. */
type Artifact = BuiltArtifact & { tarPath: string };

interface Artifacts {
  v0: Artifact;
  v1: Artifact;
  component: Artifact;
  /** Variants of the v1 module, for the missing and corrupt blob cases (each breaks its own). */
  broken: Artifact;
  brokenAgain: Artifact;
  dir: string;
}

let artifacts: Artifacts;

beforeAll(async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'wasmts-artifacts-'));
  const module = await readFile(fixturePath('echo-args-env.wasm'));
  // A different module per broken image, so that deleting or spoiling its blob touches no other image.
  const variant = (n: number) => Buffer.concat([module, customSection(`wasmts-test-${n}`)]);
  // The header of a WebAssembly component (layer 1, version 0x0d): refused before its body matters.
  const componentBytes = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]);
  const write = async (name: string, options: ArtifactOptions): Promise<Artifact> => {
    const tarPath = path.join(dir, `${name}.tar`);
    return { ...(await writeArtifact(tarPath, options)), tarPath };
  };
  artifacts = {
    dir,
    v0: await write('v0', { reference: 'docker.io/wasmts/artifact-v0:latest', configVersion: 'v0', layers: [{ bytes: module }] }),
    v1: await write('v1', { reference: 'docker.io/wasmts/artifact-v1:latest', configVersion: 'v1', layers: [{ bytes: module }] }),
    component: await write('component', {
      reference: 'docker.io/wasmts/artifact-component:latest',
      configVersion: 'v1',
      os: 'wasip2',
      layers: [{ bytes: componentBytes, mediaType: ARTIFACT_MEDIA_TYPE.componentLayer }],
    }),
    broken: await write('broken', { reference: 'docker.io/wasmts/artifact-broken:latest', configVersion: 'v1', layers: [{ bytes: variant(1) }] }),
    brokenAgain: await write('broken-again', {
      reference: 'docker.io/wasmts/artifact-broken-again:latest',
      configVersion: 'v1',
      layers: [{ bytes: variant(2) }],
    }),
  };
});

afterAll(async () => {
  if (artifacts !== undefined) await rm(artifacts.dir, { recursive: true, force: true });
});

/** A custom section (id 0) named `name`, empty: appended to a module, it changes its digest and nothing else. */
function customSection(name: string): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  return Buffer.concat([Buffer.from([0x00, nameBytes.length + 1, nameBytes.length]), nameBytes]);
}

describe.each(targets)('wasm OCI artifacts on $label', (target) => {
  let containerd: PrivateContainerd;
  let cri: CriClient;
  let rootfs: string;
  let logs: string;
  let counter = 0;
  const uniqueId = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

  beforeAll(async () => {
    if (target.binary === '') throw new Error(`${target.label} is not installed: run scripts/runtimes/setup`);
    containerd = await PrivateContainerd.start({
      binary: target.binary,
      namespace: 'k8s.io',
      cri: { sandboxImage: SANDBOX_IMAGE.reference },
      env: { WASMTS_SPARE: '0' },
    });
    await containerd.importImage(path.join(IMAGES_DIR, `${SANDBOX_IMAGE.name}.tar`));
    for (const artifact of [artifacts.v0, artifacts.v1, artifacts.component, artifacts.broken, artifacts.brokenAgain]) {
      // containerd 1.6 stores the blobs and then fails to unpack; --no-unpack is the documented way on every version.
      await containerd.ctrOk(['images', 'import', '--no-unpack', '--all-platforms', artifact.tarPath]);
    }
    rootfs = await mkdtemp(path.join(tmpdir(), 'wasmts-artifact-rootfs-'));
    logs = await mkdtemp(path.join(tmpdir(), 'wasmts-artifact-logs-'));
    cri = new CriClient(containerd.address);
  }, 120_000);

  afterAll(async () => {
    cri?.close();
    const report = await containerd?.stop();
    for (const dir of [rootfs, logs]) if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    expect(report?.leftovers ?? []).toEqual([]);
    expect(report?.killedShims ?? []).toEqual([]);
  });

  /** The documented ctr route: an empty directory as the rootfs, the image named by a container label. */
  function ctrRun(artifact: Artifact, id: string, args: string[], extra: string[] = []) {
    return containerd.ctr(['run', '--rm', '--rootfs', '--label', `${IMAGE_LABEL}=${artifact.reference}`, ...extra, '--runtime', WASMTS_RUNTIME, rootfs, id, ...args]);
  }

  it('runs a v0 artifact through ctr, with argv and the environment from the command line', async () => {
    const result = await ctrRun(artifacts.v0, uniqueId('v0'), ['app', 'one', 'two words'], ['--env', 'GREETING=hi']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('arg[0]=app\narg[1]=one\narg[2]=two words\nenv=GREETING=hi\n');
    expect(result.code).toBe(0);
  });

  it('runs a v1 artifact through ctr; with no args, argv[0] is the image name', async () => {
    const result = await ctrRun(artifacts.v1, uniqueId('v1'), [], ['--env', 'EXIT_CODE=7']);
    expect(result.stdout).toBe(`arg[0]=${artifacts.v1.reference}\nenv=EXIT_CODE=7\n`);
    expect(result.code).toBe(7);
  });

  it('compiles a module once per daemon: the second container of a group reuses it (compileCache hit in the log)', async () => {
    const group = uniqueId('group');
    const first = uniqueId('first');
    const second = uniqueId('second');
    const grouping = ['--annotation', `${GROUP_ANNOTATION}=${group}`];
    // The first task stays (exited, not deleted), so the group's daemon stays for the second.
    await containerd.ctrOk(['run', '-d', '--rootfs', '--label', `${IMAGE_LABEL}=${artifacts.v1.reference}`, ...grouping, '--runtime', WASMTS_RUNTIME, rootfs, first, 'first']);
    try {
      const result = await ctrRun(artifacts.v1, second, ['second'], grouping);
      expect(result.stdout).toBe('arg[0]=second\n');
      const lines = await taskCreatedLines(containerd);
      expect(lines.get(first)).toMatchObject({ module: artifacts.v1.layerDigests[0], compileCache: 'miss' });
      expect(lines.get(second)).toMatchObject({ module: artifacts.v1.layerDigests[0], compileCache: 'hit' });
    } finally {
      await containerd.ctr(['task', 'delete', '--force', first]);
      await containerd.ctr(['container', 'delete', first]);
    }
  });

  it('refuses a component artifact: components are not supported yet', async () => {
    const id = uniqueId('component');
    const result = await ctrRun(artifacts.component, id, ['app']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`image ${artifacts.component.reference} is a WebAssembly component (layer ${artifacts.component.layerDigests[0]}`);
    expect(result.stderr).toContain('components (WASI preview 2) are not supported yet');
    await containerd.ctr(['container', 'delete', id]);
  });

  it('names the digest of a module blob missing from the content store', async () => {
    const digest = artifacts.broken.layerDigests[0]!;
    await containerd.ctrOk(['content', 'rm', digest]);
    const id = uniqueId('missing');
    const result = await ctrRun(artifacts.broken, id, ['app']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`image ${artifacts.broken.reference}: module layer ${digest} is missing from containerd's content store`);
    await containerd.ctr(['container', 'delete', id]);
  });

  it('names the digest of a corrupt module blob', async () => {
    const digest = artifacts.brokenAgain.layerDigests[0]!;
    const blob = path.join(containerd.info.root, 'io.containerd.content.v1.content', 'blobs', 'sha256', digest.slice('sha256:'.length));
    const bytes = await readFile(blob);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await writeFile(blob, bytes);
    const id = uniqueId('corrupt');
    const result = await ctrRun(artifacts.brokenAgain, id, ['app']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`image ${artifacts.brokenAgain.reference}: module layer ${digest} in containerd's content store is corrupt: its bytes hash to sha256:`);
    await containerd.ctr(['container', 'delete', id]);
  });

  it('runs v0 and v1 artifacts in a pod through CRI, with the pod spec args and env; the second shares the compiled module', async () => {
    const uid = uniqueId('uid');
    const pod = {
      metadata: { name: 'artifact-pod', uid, namespace: 'default', attempt: 0 },
      hostname: 'artifact-pod',
      log_directory: logs,
      linux: { security_context: { namespace_options: HOST_NETWORK } },
    };
    const { pod_sandbox_id: podId } = await cri.runtimeCall<{ pod_sandbox_id: string }>('RunPodSandbox', { config: pod, runtime_handler: 'wasmts' });
    try {
      const ids: string[] = [];
      for (const [name, artifact] of [['from-v0', artifacts.v0], ['from-v1', artifacts.v1]] as const) {
        const { container_id: id } = await cri.runtimeCall<{ container_id: string }>('CreateContainer', {
          pod_sandbox_id: podId,
          config: {
            metadata: { name, attempt: 0 },
            image: { image: artifact.reference },
            // An artifact's config has no entrypoint: kubelet's `command` (or `args`) gives argv.
            command: [name, 'x'],
            envs: [{ key: 'POD_ENV', value: name }],
            log_path: `${name}.log`,
            linux: { security_context: { namespace_options: HOST_NETWORK } },
          },
          sandbox_config: pod,
        });
        await cri.runtimeCall('StartContainer', { container_id: id });
        const status = await until(`container ${name} to exit`, async () => {
          const { status } = await cri.runtimeCall<{ status: { state: string; exit_code: number; reason: string } }>('ContainerStatus', { container_id: id });
          return status.state === 'CONTAINER_EXITED' ? status : undefined;
        });
        expect(status).toMatchObject({ exit_code: 0, reason: 'Completed' });
        // CRI adds the default PATH and the pod's HOSTNAME before the pod spec's env.
        expect(criLogText(await readFile(path.join(logs, `${name}.log`), 'utf8'))).toBe(
          `arg[0]=${name}\narg[1]=x\nenv=PATH=${DEFAULT_PATH}\nenv=HOSTNAME=artifact-pod\nenv=POD_ENV=${name}\n`,
        );
        ids.push(id);
      }
      const lines = await taskCreatedLines(containerd);
      // One daemon per pod: the two containers run the same module, compiled once.
      expect(lines.get(ids[0]!)).toMatchObject({ compileCache: 'miss' });
      expect(lines.get(ids[1]!)).toMatchObject({ compileCache: 'hit' });
    } finally {
      await cri.runtimeCall('StopPodSandbox', { pod_sandbox_id: podId });
      await cri.runtimeCall('RemovePodSandbox', { pod_sandbox_id: podId });
    }
    await until("the pod's shim to exit", async () => ((await unsharedShimsOf(containerd.info)).length === 0 ? true : undefined), 10_000);
  });

  it('reports a component artifact at StartContainer through CRI', async () => {
    const uid = uniqueId('uid');
    const pod = {
      metadata: { name: 'component-pod', uid, namespace: 'default', attempt: 0 },
      log_directory: logs,
      linux: { security_context: { namespace_options: HOST_NETWORK } },
    };
    const { pod_sandbox_id: podId } = await cri.runtimeCall<{ pod_sandbox_id: string }>('RunPodSandbox', { config: pod, runtime_handler: 'wasmts' });
    try {
      const { container_id: id } = await cri.runtimeCall<{ container_id: string }>('CreateContainer', {
        pod_sandbox_id: podId,
        config: { metadata: { name: 'component', attempt: 0 }, image: { image: artifacts.component.reference }, command: ['app'], log_path: 'component.log', linux: {} },
        sandbox_config: pod,
      });
      await expect(cri.runtimeCall('StartContainer', { container_id: id })).rejects.toThrow(/components \(WASI preview 2\) are not supported yet/);
    } finally {
      await cri.runtimeCall('StopPodSandbox', { pod_sandbox_id: podId });
      await cri.runtimeCall('RemovePodSandbox', { pod_sandbox_id: podId });
    }
  });
});

/** The `task created` line of each task in containerd's log (the shims log there), by task id. */
async function taskCreatedLines(containerd: PrivateContainerd): Promise<Map<string, Record<string, unknown>>> {
  const lines = new Map<string, Record<string, unknown>>();
  for (const line of (await readFile(containerd.info.logPath, 'utf8')).split('\n')) {
    const start = line.indexOf('{"level"');
    if (start === -1 || !line.includes('"task created"')) continue;
    try {
      const entry = JSON.parse(line.slice(start)) as Record<string, unknown>;
      lines.set(String(entry.task), entry);
    } catch {
      // a line containerd wrapped differently
    }
  }
  return lines;
}

/** The text of a CRI log file (`<time> <stream> <F|P> <text>` lines). */
function criLogText(log: string): string {
  return log
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [, , tag, ...rest] = line.split(' ');
      return rest.join(' ') + (tag === 'F' ? '\n' : '');
    })
    .join('');
}
