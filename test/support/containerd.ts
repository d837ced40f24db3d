/**
 * A private containerd 1.6 for integration tests: its own root, state and
 * sockets under one temporary directory, so tests never touch a system
 * containerd. It runs with `<repo>/bin` first on PATH, which is where
 * containerd finds `containerd-shim-wasmts-v1`.
 *
 * `PrivateContainerd.start()` / `stop()` run in the vitest global setup;
 * tests talk to it through a `CtrClient` (see rig.ts).
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, writeFileSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT } from './fixtures.js';
import { killShimsOf, shimsOf, unmountUnder } from './rig-cleanup.js';
import { describeResult, runCommand, type CommandResult } from './run-command.js';

export const CONTAINERD_BINARY = '/usr/bin/containerd';
export const CTR_BINARY = '/usr/bin/ctr';
export const DEFAULT_TEST_NAMESPACE = 'wasmts-test';
export const WASMTS_RUNTIME = 'io.containerd.wasmts.v1';

/** Everything a test needs to reach the rig; plain data so vitest can `provide` it. */
export interface ContainerdInfo {
  /** gRPC socket path (what `ctr --address` takes). */
  address: string;
  /** ttrpc socket path, the TTRPC_ADDRESS shims publish events to. */
  ttrpcAddress: string;
  namespace: string;
  root: string;
  state: string;
  snapshotter: 'overlayfs' | 'native';
  logPath: string;
  /** Directory put first on containerd's PATH (holds containerd-shim-wasmts-v1). */
  binDir: string;
}

export interface CtrOptions {
  /** Default 30 s; the ctr process is killed after it. */
  timeoutMs?: number;
  /** Written to ctr's stdin (closed afterwards); otherwise stdin is /dev/null. */
  input?: string | Uint8Array;
  /** Overrides the rig's namespace for this call. */
  namespace?: string;
}

/** Runs `ctr` against one containerd and namespace. */
export class CtrClient {
  readonly info: ContainerdInfo;
  /** The ctr to run: the host's, or the one shipped with another containerd version. */
  readonly ctrBinary: string;

  constructor(info: ContainerdInfo, ctrBinary: string = CTR_BINARY) {
    this.info = info;
    this.ctrBinary = ctrBinary;
  }

  get address(): string {
    return this.info.address;
  }

  get namespace(): string {
    return this.info.namespace;
  }

  /** `ctr --address <sock> --namespace <ns> ...args`; never throws for a non-zero exit. */
  ctr(args: readonly string[], options: CtrOptions = {}): Promise<CommandResult> {
    const namespace = options.namespace ?? this.info.namespace;
    return runCommand(this.ctrBinary, ['--address', this.info.address, '--namespace', namespace, ...args], {
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.input === undefined ? {} : { input: options.input }),
      // ctr picks its default snapshotter from this variable.
      env: { ...process.env, CONTAINERD_SNAPSHOTTER: this.info.snapshotter },
    });
  }

  /** Like `ctr()`, but throws with ctr's output unless it exits 0; returns stdout. */
  async ctrOk(args: readonly string[], options: CtrOptions = {}): Promise<string> {
    const result = await this.ctr(args, options);
    if (result.code !== 0) throw new Error(describeResult(`ctr ${args.join(' ')}`, result));
    return result.stdout;
  }

  /** `ctr images import --all-platforms <tar>` (needed: the host platform is not wasi/wasm). */
  async importImage(tarPath: string, options: CtrOptions = {}): Promise<void> {
    await this.ctrOk(['images', 'import', '--all-platforms', tarPath], { timeoutMs: 60_000, ...options });
  }
}

export interface StartOptions {
  namespace?: string;
  /** Defaults to `<repo>/bin`. */
  binDir?: string;
  /** containerd log level; default `info` (at `debug` containerd also passes -debug to shims). */
  logLevel?: string;
  /** Extra environment for containerd (and so for the shims it starts). */
  env?: Record<string, string>;
  /** Enables the CRI plugin (disabled otherwise), with wasmts as the runtime handler `wasmts`. */
  cri?: CriOptions;
  /** Another containerd (and its ctr and shims, from the same directory): the version matrix's. */
  binary?: string;
  /** The config to run with instead of the rig's own, given the rig's paths (root, state, sockets). */
  config?: (info: ContainerdInfo, baseDir: string) => string;
  /**
   * Start containerd again whenever it exits unasked, as systemd's Restart=always would,
   * and keep its pid in `<baseDir>/containerd.pid`: what a node installer restarts.
   */
  supervised?: boolean;
}

export interface CriOptions {
  /** The pod sandbox image; it must already be in namespace k8s.io, or CRI tries to pull it. */
  sandboxImage: string;
  /** CNI plugins and configuration for pods on a network of their own; default empty directories in the rig. */
  cni?: { binDir: string; confDir: string };
  /** Also a runtime handler `runc` (io.containerd.runc.v2), for comparisons. */
  runcHandler?: boolean;
}

export interface StopReport {
  /** `<namespace>/<id>` of tasks and containers still present at stop, removed by force. */
  leftovers: string[];
  /** pids of shim processes still running after containerd stopped, killed with SIGKILL. */
  killedShims: number[];
  /** Mount points under the rig's directory that had to be unmounted. */
  unmounted: string[];
}

export class PrivateContainerd extends CtrClient {
  private readonly baseDir: string;
  private readonly launch: () => ChildProcess;
  private readonly supervised: boolean;
  private stopping = false;
  private child!: ChildProcess;
  private exited!: Promise<void>;
  /** The config file containerd runs with. */
  readonly configPath: string;

  // No parameter properties: scripts run this file with Node's type stripping.
  private constructor(info: ContainerdInfo, baseDir: string, launch: () => ChildProcess, ctrBinary: string, supervised: boolean) {
    super(info, ctrBinary);
    this.baseDir = baseDir;
    this.launch = launch;
    this.supervised = supervised;
    this.configPath = path.join(baseDir, 'config.toml');
    this.spawn();
  }

  /** Where a supervised containerd's pid is kept. */
  get pidFile(): string {
    return path.join(this.baseDir, 'containerd.pid');
  }

  private spawn(): void {
    const child = this.launch();
    this.child = child;
    this.exited = exitOf(child);
    if (!this.supervised) return;
    writeFileSync(this.pidFile, `${child.pid}\n`);
    void this.exited.then(() => {
      if (!this.stopping && this.child === child) this.spawn();
    });
  }

  /**
   * Stops containerd (SIGTERM) and starts it again on the same root, state and
   * sockets, as an upgrade or a crash-restart would. Shims run on meanwhile.
   */
  async restart({ downMs = 0 }: { downMs?: number } = {}): Promise<void> {
    this.stopping = true;
    this.child.kill('SIGTERM');
    await this.exited;
    if (downMs > 0) await sleep(downMs);
    this.stopping = false;
    this.spawn();
    await this.waitUntilServing(20_000);
  }

  static async start(options: StartOptions = {}): Promise<PrivateContainerd> {
    const baseDir = await mkdtemp(path.join(tmpdir(), 'wasmts-containerd-'));
    const root = path.join(baseDir, 'root');
    const state = path.join(baseDir, 'state');
    await Promise.all([mkdir(root), mkdir(state)]);
    const address = path.join(baseDir, 'containerd.sock');
    const info: ContainerdInfo = {
      address,
      ttrpcAddress: `${address}.ttrpc`,
      namespace: options.namespace ?? DEFAULT_TEST_NAMESPACE,
      root,
      state,
      snapshotter: 'overlayfs',
      logPath: path.join(baseDir, 'containerd.log'),
      binDir: options.binDir ?? path.join(REPO_ROOT, 'bin'),
    };
    const configPath = path.join(baseDir, 'config.toml');
    await writeFile(configPath, options.config?.(info, baseDir) ?? containerdConfig(info, options.logLevel ?? 'info', options.cri));
    const binary = options.binary ?? CONTAINERD_BINARY;

    const launch = (): ChildProcess => {
      const logFd = openSync(info.logPath, 'a');
      try {
        return spawn(binary, ['--config', configPath], {
          stdio: ['ignore', logFd, logFd],
          env: {
            PATH: `${info.binDir}:${path.dirname(binary)}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`,
            HOME: process.env.HOME ?? '/root',
            ...options.env,
          },
        });
      } finally {
        closeSync(logFd);
      }
    };
    const rig = new PrivateContainerd(info, baseDir, launch, path.join(path.dirname(binary), 'ctr'), options.supervised === true);
    try {
      await rig.waitUntilServing(20_000);
      info.snapshotter = (await rig.overlayfsWorks()) ? 'overlayfs' : 'native';
    } catch (err) {
      await rig.stop();
      throw err;
    }
    return rig;
  }

  /** Removes what tests left behind, stops containerd and its shims, unmounts and deletes the rig. */
  async stop({ keepFiles = false }: { keepFiles?: boolean } = {}): Promise<StopReport> {
    const report: StopReport = { leftovers: [], killedShims: [], unmounted: [] };
    this.stopping = true;
    if (this.child.exitCode === null && this.child.signalCode === null) {
      report.leftovers = await this.removeLeftovers().catch(() => []);
      this.child.kill('SIGTERM');
      const grace = new AbortController();
      const stopped = await Promise.race([
        this.exited.then(() => true),
        sleep(10_000, false, { signal: grace.signal }).catch(() => false),
      ]);
      grace.abort();
      if (!stopped) {
        this.child.kill('SIGKILL');
        await this.exited;
      }
    }
    // A daemon without tasks leaves by itself once its containerd is gone (within a second or two): give it the time.
    for (let i = 0; i < 40 && (await shimsOf(this.info)).length > 0; i++) await sleep(100);
    report.killedShims = await killShimsOf(this.info);
    report.unmounted = await unmountUnder(this.baseDir);
    if (!keepFiles) await rm(this.baseDir, { recursive: true, force: true });
    return report;
  }

  private async waitUntilServing(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: CommandResult | undefined;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) break;
      last = await runCommand(this.ctrBinary, ['--address', this.info.address, 'version'], { timeoutMs: 5_000 });
      if (last.code === 0) return;
      await sleep(100);
    }
    const log = await readFile(this.info.logPath, 'utf8').catch(() => '');
    throw new Error(
      `private containerd did not answer on ${this.info.address} ` +
        `(${this.child.exitCode !== null ? `it exited with ${this.child.exitCode}` : `waited ${timeoutMs} ms`}).\n` +
        `${last ? describeResult('ctr version', last) : ''}\ncontainerd log (${this.info.logPath}):\n${log.slice(-4000)}`,
    );
  }

  /** The overlayfs snapshotter fails its plugin init where the kernel or filesystem cannot overlay. */
  private async overlayfsWorks(): Promise<boolean> {
    const plugins = await this.ctrOk(['plugins', 'ls']);
    return plugins.split('\n').some((line) => /^io\.containerd\.snapshotter\.v1\s+overlayfs\s+.*\sok\s*$/.test(line));
  }

  private async removeLeftovers(): Promise<string[]> {
    const removed: string[] = [];
    const namespaces = (await this.ctrOk(['namespaces', 'ls', '-q'], { timeoutMs: 10_000 })).split('\n').filter(Boolean);
    for (const namespace of namespaces) {
      const opts = { namespace, timeoutMs: 10_000 };
      const tasks = (await this.ctr(['tasks', 'ls', '-q'], opts)).stdout.split('\n').filter(Boolean);
      for (const id of tasks) {
        await this.ctr(['tasks', 'kill', '--signal', 'SIGKILL', id], opts);
        await this.ctr(['tasks', 'delete', '--force', id], opts);
      }
      const containers = (await this.ctr(['containers', 'ls', '-q'], opts)).stdout.split('\n').filter(Boolean);
      for (const id of containers) {
        await this.ctr(['containers', 'delete', id], opts);
      }
      removed.push(...new Set([...tasks, ...containers].map((id) => `${namespace}/${id}`)));
    }
    return removed;
  }
}

function exitOf(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** containerd's config: every path inside the rig, and no plugins the tests do not use. */
function containerdConfig(info: ContainerdInfo, logLevel: string, cri: CriOptions | undefined): string {
  const disabled = [
    ...(cri === undefined ? ['io.containerd.grpc.v1.cri'] : []),
    // Would create /opt/containerd on the host.
    'io.containerd.internal.v1.opt',
    'io.containerd.snapshotter.v1.aufs',
    'io.containerd.snapshotter.v1.btrfs',
    'io.containerd.snapshotter.v1.devmapper',
    'io.containerd.snapshotter.v1.zfs',
    'io.containerd.tracing.processor.v1.otlp',
    'io.containerd.internal.v1.tracing',
    // Note: io.containerd.runtime.v1.linux must stay; in 1.6 the tasks service fails without it.
  ];
  const q = (s: string): string => JSON.stringify(s);
  return [
    'version = 2',
    `root = ${q(info.root)}`,
    `state = ${q(info.state)}`,
    `disabled_plugins = [${disabled.map(q).join(', ')}]`,
    '',
    '[grpc]',
    `  address = ${q(info.address)}`,
    '',
    '[ttrpc]',
    `  address = ${q(info.ttrpcAddress)}`,
    '',
    '[debug]',
    `  level = ${q(logLevel)}`,
    '',
    ...(cri === undefined ? [] : criConfig(info, cri)),
  ].join('\n');
}

/**
 * The CRI plugin's section: a `wasmts` runtime handler and nothing taken from
 * the host (CNI plugins and configuration only from `cri.cni`).
 */
function criConfig(info: ContainerdInfo, cri: CriOptions): string[] {
  const q = (s: string): string => JSON.stringify(s);
  const section = '[plugins."io.containerd.grpc.v1.cri"]';
  const base = path.dirname(info.root);
  return [
    section,
    `  sandbox_image = ${q(cri.sandboxImage)}`,
    '  disable_apparmor = true',
    // This VM has no CAP_SYS_RESOURCE: let CRI clamp oom_score_adj to containerd's own.
    '  restrict_oom_score_adj = true',
    '  netns_mounts_under_state_dir = true',
    '  stream_server_address = "127.0.0.1"',
    '  stream_server_port = "0"',
    `  [plugins."io.containerd.grpc.v1.cri".cni]`,
    `    bin_dir = ${q(cri.cni?.binDir ?? path.join(base, 'cni', 'bin'))}`,
    `    conf_dir = ${q(cri.cni?.confDir ?? path.join(base, 'cni', 'net.d'))}`,
    '    max_conf_num = 1',
    `  [plugins."io.containerd.grpc.v1.cri".containerd]`,
    `    snapshotter = ${q(info.snapshotter)}`,
    '    default_runtime_name = "wasmts"',
    `    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmts]`,
    `      runtime_type = ${q(WASMTS_RUNTIME)}`,
    ...(cri.runcHandler === true ? [`    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]`, `      runtime_type = "io.containerd.runc.v2"`] : []),
    '',
  ];
}
