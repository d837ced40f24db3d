/**
 * The release tarball and its node installer, as an operator uses them: built by
 * scripts/release, unpacked, `install.sh` against containerd 1.6, 1.7 and 2.1
 * started from their own default configs (as `containerd config default` writes
 * them), from a config that already has another runtime, and from one that
 * imports a drop-in directory; then a CRI pod runs a wasm container under the
 * handler the installer registered, and `install.sh uninstall` puts everything
 * back byte for byte.
 *
 * containerd is supervised here as systemd would (started again when it exits),
 * and the installer restarts it with `--restart signal`.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ContainerdInfo, PrivateContainerd } from '../support/containerd.js';
import { CriClient } from '../support/cri-client.js';
import { IMAGES_DIR, REPO_ROOT } from '../support/fixtures.js';
import { TEST_IMAGES } from '../support/images.js';
import { shimsOf } from '../support/rig-cleanup.js';
import { describeResult, runCommand } from '../support/run-command.js';
import { matrixDaemon, matrixRequired, RUNTIMES_PREFIX } from '../support/runtimes.js';

const VERSION = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version as string;
const RELEASE = `wasmts-${VERSION}-linux-x64`;
const CRI_RUNTIMES: Record<string, string> = {
  '2': 'plugins."io.containerd.grpc.v1.cri".containerd.runtimes',
  '3': "plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes",
};

let work: string;
let unpacked: string;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmts-install-'));
  const built = await runCommand('bash', [path.join(REPO_ROOT, 'scripts', 'release'), '--arch', 'x64', '--out', path.join(work, 'out')], {
    timeoutMs: 600_000,
    cwd: REPO_ROOT,
  });
  if (built.code !== 0) throw new Error(describeResult('scripts/release --arch x64', built));
  execFileSync('tar', ['-xzf', path.join(work, 'out', `${RELEASE}.tar.gz`), '-C', work]);
  unpacked = path.join(work, RELEASE);
}, 900_000);

afterAll(() => {
  if (work !== undefined) fs.rmSync(work, { recursive: true, force: true });
});

describe('the release tarball', () => {
  it('holds the shim, its own Node.js, the installer and the manifests, and no sources, maps or dev packages', () => {
    const home = path.join(unpacked, 'lib', 'wasmts');
    for (const file of ['install.sh', 'bin/containerd-shim-wasmts-v1', 'deploy/runtimeclass.yaml', 'deploy/installer-daemonset.yaml', 'README.md']) {
      expect(fs.existsSync(path.join(unpacked, file)), file).toBe(true);
    }
    expect(execFileSync(path.join(home, 'node_modules', 'node', 'bin', 'node'), ['--version'], { encoding: 'utf8' }).trim()).toMatch(/^v2[4-9]\./);
    const files = execFileSync('find', [unpacked, '-type', 'f'], { encoding: 'utf8' }).trim().split('\n');
    expect(files.filter((f) => f.endsWith('.map') || f.endsWith('.ts'))).toEqual([]);
    const packages = fs.readdirSync(path.join(home, 'node_modules'));
    for (const dev of ['typescript', 'vitest', 'wabt', '@grpc', '@types']) expect(packages).not.toContain(dev);
    expect(fs.statSync(path.join(work, 'out', `${RELEASE}.tar.gz`)).size).toBeLessThan(60 * 1024 * 1024);
  });

  it('runs in place: the unpacked shim answers -v on its own Node.js', () => {
    const output = execFileSync(path.join(unpacked, 'bin', 'containerd-shim-wasmts-v1'), ['-v'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
    expect(output).toContain(`Version:  ${VERSION}`);
  });
});

interface Target {
  label: string;
  binary: string;
  configVersion: '2' | '3';
}

const targets: Target[] = [{ label: 'containerd 1.6', binary: '/usr/bin/containerd', configVersion: '2' }];
for (const [name, configVersion] of [['ctd17', '2'], ['ctd2', '3']] as const) {
  const row = matrixDaemon(name);
  if (row.absentReason === undefined) targets.push({ label: row.label, binary: path.join(RUNTIMES_PREFIX, name, 'usr', 'bin', 'containerd'), configVersion });
  else if (matrixRequired(row)) targets.push({ label: row.label, binary: '', configVersion });
}

type Variant = 'default config' | 'config with another runtime' | 'config importing a drop-in directory';
const VARIANTS: Variant[] = ['default config', 'config with another runtime', 'config importing a drop-in directory'];

/**
 * The target's own default config, pointed at the rig's private paths, with the
 * two settings this VM needs (no AppArmor, no CAP_SYS_RESOURCE), and the variant's change.
 */
function nodeConfig(target: Target, variant: Variant, info: ContainerdInfo, baseDir: string): string {
  let text = execFileSync(target.binary, ['config', 'default'], { encoding: 'utf8' });
  const q = (value: string): string => JSON.stringify(value);
  text = text
    .replace(/^root = .*$/m, `root = ${q(info.root)}`)
    .replace(/^state = .*$/m, `state = ${q(info.state)}`)
    .replace(/^(\s*)address = ["']\/run\/containerd\/containerd\.sock["']$/m, `$1address = ${q(info.address)}`)
    .replace(/^(\s*)path = ["']\/opt\/containerd["']$/m, `$1path = ${q(path.join(baseDir, 'opt'))}`)
    .replace(/^(\s*)socket_path = ["']\/var\/run\/nri\/nri\.sock["']$/m, `$1socket_path = ${q(path.join(baseDir, 'nri.sock'))}`)
    .replace(/disable_apparmor = false/, 'disable_apparmor = true')
    .replace(/restrict_oom_score_adj = false/, 'restrict_oom_score_adj = true');
  if (variant === 'config with another runtime') {
    text += `\n# A runtime the operator added before.\n[${CRI_RUNTIMES[target.configVersion]}.other]\n  runtime_type = "io.containerd.runc.v2"\n`;
  }
  if (variant === 'config importing a drop-in directory') {
    fs.mkdirSync(path.join(baseDir, 'conf.d'));
    text = text.replace(/^imports = \[\]$/m, `imports = [${q(path.join(baseDir, 'conf.d', '*.toml'))}]`);
  }
  return text;
}

/** The image name the config pins for pod sandboxes (CRI would pull it otherwise). */
function sandboxImage(config: string): string {
  const match = /^\s*(?:sandbox_image|sandbox) = ["']([^"']+)["']$/m.exec(config);
  if (match === null) throw new Error('no sandbox image in the config');
  return match[1] as string;
}

async function runPodWithWasm(containerd: PrivateContainerd): Promise<string> {
  const sandbox = sandboxImage(fs.readFileSync(containerd.configPath, 'utf8'));
  for (const image of [TEST_IMAGES.linuxBinary, TEST_IMAGES.hello]) await containerd.importImage(path.join(IMAGES_DIR, `${image.name}.tar`));
  await containerd.ctrOk(['images', 'tag', '--force', TEST_IMAGES.linuxBinary.reference, sandbox]);
  const cri = new CriClient(containerd.address);
  const logs = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmts-install-pod-'));
  try {
    const namespaceOptions = { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' };
    const pod = {
      metadata: { name: 'installed', uid: `uid-installed-${process.pid}-${Date.now()}`, namespace: 'default', attempt: 0 },
      log_directory: logs,
      linux: { security_context: { namespace_options: namespaceOptions } },
    };
    const { pod_sandbox_id: podId } = await cri.runtimeCall<{ pod_sandbox_id: string }>('RunPodSandbox', { config: pod, runtime_handler: 'wasmts' });
    const { container_id: id } = await cri.runtimeCall<{ container_id: string }>('CreateContainer', {
      pod_sandbox_id: podId,
      config: { metadata: { name: 'hello', attempt: 0 }, image: { image: TEST_IMAGES.hello.reference }, log_path: 'hello.log', linux: { security_context: { namespace_options: namespaceOptions } } },
      sandbox_config: pod,
    });
    await cri.runtimeCall('StartContainer', { container_id: id });
    // As kubelet does, see it exit before the pod goes.
    let state = '';
    for (let i = 0; i < 200 && state !== 'CONTAINER_EXITED'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      state = (await cri.runtimeCall<{ status: { state: string } }>('ContainerStatus', { container_id: id })).status.state;
    }
    expect(state).toBe('CONTAINER_EXITED');
    const log = fs.readFileSync(path.join(logs, 'hello.log'), 'utf8');
    await cri.runtimeCall('StopPodSandbox', { pod_sandbox_id: podId });
    await cri.runtimeCall('RemovePodSandbox', { pod_sandbox_id: podId });
    return log;
  } finally {
    cri.close();
    fs.rmSync(logs, { recursive: true, force: true });
  }
}

describe.each(targets)('install.sh on $label', (target) => {
  if (target.binary === '') {
    it('is installed', () => {
      throw new Error(`${target.label} is not installed in ${RUNTIMES_PREFIX}: run scripts/runtimes/setup`);
    });
    return;
  }
  const ctr = path.join(path.dirname(target.binary), 'ctr');

  it.each(VARIANTS)('registers the handler in a %s, runs a wasm pod through CRI, and uninstall puts everything back', async (variant) => {
    const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmts-prefix-'));
    const containerd = await PrivateContainerd.start({
      binary: target.binary,
      namespace: 'k8s.io',
      binDir: path.join(prefix, 'bin'),
      supervised: true,
      env: { WASMTS_SPARE: '0' },
      config: (info, baseDir) => nodeConfig(target, variant, info, baseDir),
    });
    try {
      const original = fs.readFileSync(containerd.configPath, 'utf8');
      const installer = (action: string) =>
        runCommand(path.join(unpacked, 'install.sh'), [
          action, '--prefix', prefix, '--config', containerd.configPath, '--restart', 'signal', '--pid-file', containerd.pidFile,
          '--containerd', target.binary, '--ctr', ctr,
        ], { timeoutMs: 180_000 });
      const pidBefore = fs.readFileSync(containerd.pidFile, 'utf8');

      const installed = await installer('install');
      expect(installed.code, describeResult('install.sh install', installed)).toBe(0);
      expect(installed.stdout).toContain('containerd reports the handler "wasmts"');
      expect(installed.stdout).toContain('checked: a wasm container ran through io.containerd.wasmts.v1');
      expect(fs.readFileSync(containerd.pidFile, 'utf8')).not.toBe(pidBefore);
      const dropIn = path.join(path.dirname(containerd.configPath), 'conf.d', 'wasmts.toml');
      // containerd 2.x merges drop-ins table by table; 1.x lets one replace the whole CRI section, so there the block goes into config.toml.
      if (variant === 'config importing a drop-in directory' && target.configVersion === '3') {
        expect(fs.readFileSync(containerd.configPath, 'utf8')).toBe(original);
        expect(fs.readFileSync(dropIn, 'utf8')).toContain('runtime_type = "io.containerd.wasmts.v1"');
      } else {
        expect(fs.readFileSync(`${containerd.configPath}.before-wasmts`, 'utf8')).toBe(original);
        expect(fs.readFileSync(containerd.configPath, 'utf8').startsWith(original)).toBe(true);
      }
      expect(fs.existsSync(path.join(prefix, 'bin', 'containerd-shim-wasmts-v1'))).toBe(true);

      // Again: nothing changes, nothing restarts.
      const afterFirst = fs.readFileSync(containerd.configPath, 'utf8');
      const pidInstalled = fs.readFileSync(containerd.pidFile, 'utf8');
      const again = await installer('install');
      expect(again.code, describeResult('install.sh install (again)', again)).toBe(0);
      expect(again.stdout).toContain('no restart needed');
      expect(fs.readFileSync(containerd.configPath, 'utf8')).toBe(afterFirst);
      expect(fs.readFileSync(containerd.pidFile, 'utf8')).toBe(pidInstalled);

      const log = await runPodWithWasm(containerd);
      expect(log).toMatch(/^\S+ stdout F hello from wasm$/m);

      const removed = await installer('uninstall');
      expect(removed.code, describeResult('install.sh uninstall', removed)).toBe(0);
      expect(removed.stdout).toContain('containerd no longer reports the handler "wasmts"');
      expect(fs.readFileSync(containerd.configPath, 'utf8')).toBe(original);
      expect(fs.existsSync(`${containerd.configPath}.before-wasmts`)).toBe(false);
      expect(fs.existsSync(dropIn)).toBe(false);
      expect(fs.readdirSync(prefix).flatMap((d) => fs.readdirSync(path.join(prefix, d)))).toEqual([]);
    } finally {
      const report = await containerd.stop();
      fs.rmSync(prefix, { recursive: true, force: true });
      expect(report.killedShims).toEqual([]);
    }
    expect(await shimsOf(containerd.info)).toEqual([]);
  }, 400_000);
});

describe('install.sh without restarting containerd', () => {
  it("adds a Docker runtime alias to daemon.json next to what it had, and uninstall restores both files exactly", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmts-docker-json-'));
    const config = path.join(dir, 'config.toml');
    const daemonJson = path.join(dir, 'daemon.json');
    const original = execFileSync('/usr/bin/containerd', ['config', 'default'], { encoding: 'utf8' });
    const originalJson = '{\n  "features": { "containerd-snapshotter": true }\n}\n';
    fs.writeFileSync(config, original);
    fs.writeFileSync(daemonJson, originalJson);
    const common = ['--prefix', path.join(dir, 'prefix'), '--config', config, '--restart', 'none', '--no-check', '--containerd', '/usr/bin/containerd'];
    const installed = await runCommand(path.join(unpacked, 'install.sh'), ['install', ...common, '--docker-config', daemonJson], { timeoutMs: 60_000 });
    expect(installed.code, describeResult('install.sh install', installed)).toBe(0);
    expect(installed.stdout).toContain('restart containerd to load it (--restart none)');
    expect(JSON.parse(fs.readFileSync(daemonJson, 'utf8'))).toEqual({
      features: { 'containerd-snapshotter': true },
      runtimes: { wasmts: { runtimeType: 'io.containerd.wasmts.v1' } },
    });
    const removed = await runCommand(path.join(unpacked, 'install.sh'), ['uninstall', ...common], { timeoutMs: 60_000 });
    expect(removed.code, describeResult('install.sh uninstall', removed)).toBe(0);
    expect(JSON.parse(fs.readFileSync(daemonJson, 'utf8'))).toEqual(JSON.parse(originalJson));
    expect(fs.readFileSync(config, 'utf8')).toBe(original);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('install.sh with --create-config', () => {
  it('writes a config for the containerd it finds (version 2 for 1.x) with the handler, and uninstall removes it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmts-newconfig-'));
    const config = path.join(dir, 'containerd', 'config.toml');
    const common = ['--prefix', path.join(dir, 'prefix'), '--config', config, '--restart', 'none', '--no-check', '--containerd', '/usr/bin/containerd'];
    const installed = await runCommand(path.join(unpacked, 'install.sh'), ['install', ...common, '--create-config'], { timeoutMs: 60_000 });
    expect(installed.code, describeResult('install.sh install --create-config', installed)).toBe(0);
    const text = fs.readFileSync(config, 'utf8');
    expect(text.startsWith('version = 2\n')).toBe(true);
    expect(text).toContain('[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmts]');
    const removed = await runCommand(path.join(unpacked, 'install.sh'), ['uninstall', ...common], { timeoutMs: 60_000 });
    expect(removed.code, describeResult('install.sh uninstall', removed)).toBe(0);
    expect(fs.existsSync(config)).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('install.sh refusing', () => {
  it("stops with a clear message, and changes nothing, when containerd's config is not where it says", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmts-noconfig-'));
    const config = path.join(dir, 'config.toml');
    const result = await runCommand(path.join(unpacked, 'install.sh'), ['--prefix', path.join(dir, 'prefix'), '--config', config, '--restart', 'none', '--no-check'], {
      timeoutMs: 60_000,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`wasmts: cannot find containerd's config ${config}: pass --config with the file containerd reads (see its --config flag), or --create-config to write one there\n`);
    expect(fs.readdirSync(dir)).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });


  it("takes its block out again, and restarts nothing, when an imported file would hide the handler from containerd 1.x", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmts-hidden-'));
    const config = path.join(dir, 'config.toml');
    fs.mkdirSync(path.join(dir, 'conf.d'));
    // A drop-in with its own CRI section: in config version 2 it replaces config.toml's whole section.
    fs.writeFileSync(path.join(dir, 'conf.d', 'cri.toml'), 'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "registry.k8s.io/pause:3.9"\n');
    const original = `version = 2\nimports = [${JSON.stringify(path.join(dir, 'conf.d', '*.toml'))}]\n`;
    fs.writeFileSync(config, original);
    const result = await runCommand(path.join(unpacked, 'install.sh'), [
      '--prefix', path.join(dir, 'prefix'), '--config', config, '--restart', 'none', '--no-check', '--containerd', '/usr/bin/containerd',
    ], { timeoutMs: 60_000 });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('wasmts: containerd would not see the handler "wasmts"');
    expect(result.stderr).toContain('it was taken out again and containerd was not restarted');
    expect(fs.readFileSync(config, 'utf8')).toBe(original);
    expect(fs.readdirSync(path.join(dir, 'prefix', 'lib'))).toEqual([]);
    expect(fs.readdirSync(path.join(dir, 'prefix', 'bin'))).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });


  it('stops with a clear message, and changes nothing, when containerd\'s config cannot be parsed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmts-badconfig-'));
    const config = path.join(dir, 'config.toml');
    fs.writeFileSync(config, 'version = 2\n[plugins\n');
    const result = await runCommand(path.join(unpacked, 'install.sh'), ['--prefix', path.join(dir, 'prefix'), '--config', config, '--restart', 'none', '--no-check'], {
      timeoutMs: 60_000,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^wasmts: cannot parse containerd's config ${config}: `));
    expect(fs.readFileSync(config, 'utf8')).toBe('version = 2\n[plugins\n');
    expect(fs.readdirSync(dir)).toEqual(['config.toml']);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
