/**
 * Installing wasmts on a node from an unpacked release, and taking it off again:
 *
 *   1. copy the runtime to <prefix>/lib/wasmts and the shim to <prefix>/bin,
 *      where containerd (and Docker, which insists) finds it on its PATH;
 *   2. register the CRI runtime handler in containerd's config: a drop-in file
 *      when the config imports a directory of them, else a marked block appended
 *      to config.toml, after a backup (see containerd-config.ts);
 *   3. optionally, a runtime alias in Docker's daemon.json;
 *   4. restart containerd if its config changed, and check the result: containerd
 *      itself reports the handler (`containerd config dump`), and a wasm container
 *      runs through `ctr`.
 *
 * Every change is recorded in <prefix>/lib/wasmts/install-state.json, so
 * `uninstall` reverts exactly what install did: the config file comes back byte
 * for byte unless someone changed it since (then only the block goes).
 *
 * Over 300 lines for a reason: each install step and its undo sit side by side
 * here, so that uninstall stays the exact mirror of install; restarting, asking
 * containerd and the check live in files of their own.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  DEFAULT_HANDLER, RUNTIME_TYPE, appendRegistration, configVersion, dropInFile, hasRegistrationBlock, importDirectory,
  parseConfig, registeredRuntimeType, removeRegistration, versionForContainerd,
} from './containerd-config.js';
import { addDockerRuntime, removeDockerRuntime } from './docker-config.js';
import type { Host } from './host.js';
import { InstallError } from './install-error.js';
import { type RestartMode, restartContainerd } from './containerd-restart.js';
import { ContainerdView } from './containerd-view.js';
import { runInstallCheck } from './install-check.js';

export type { RestartMode };

export const SHIM_BINARY = 'containerd-shim-wasmts-v1';

export interface InstallOptions {
  /** The unpacked release's runtime directory (holds dist/, node_modules/, check/). */
  releaseHome: string;
  /** Paths on the node. */
  prefix: string;
  config: string;
  handler: string;
  restart: RestartMode;
  /** Run the wasm check after the restart. */
  check: boolean;
  /** Write a config when there is none (containerd then runs on its defaults): refused otherwise. */
  createConfig?: boolean;
  /** containerd's socket for the check; default: the config's grpc.address. */
  address?: string;
  containerd: string;
  ctr: string;
  /** Docker's daemon.json (on the node) to add an alias to, and the alias. */
  dockerConfig?: string;
  dockerAlias?: string;
  log: (line: string) => void;
}

interface ConfigChange {
  kind: 'drop-in' | 'appended' | 'created' | 'untouched';
  file: string;
  /** What install wrote (appended, created): uninstall restores the backup only if the file still says this. */
  written?: string;
  backup?: string;
}

interface InstallState {
  version: string;
  handler: string;
  config: ConfigChange;
  docker?: { file: string; alias: string; created: boolean };
}

const STATE_FILE = 'install-state.json';

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InstallError(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/** Replaces a file's content in one step, keeping its mode. */
function writeAtomically(file: string, text: string): void {
  const mode = fs.existsSync(file) ? fs.statSync(file).mode & 0o7777 : 0o644;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.wasmts-${process.pid}`;
  fs.writeFileSync(temporary, text, { mode });
  fs.renameSync(temporary, file);
}

export class NodeInstaller {
  readonly #host: Host;
  readonly #options: InstallOptions;

  readonly #view: ContainerdView;

  constructor(host: Host, options: InstallOptions) {
    this.#host = host;
    this.#options = options;
    this.#view = new ContainerdView(host, options.containerd, options.config);
  }

  get #home(): string {
    return path.join(this.#options.prefix, 'lib', 'wasmts');
  }

  async install(): Promise<void> {
    const { log, prefix } = this.#options;
    const version = JSON.parse(fs.readFileSync(path.join(this.#options.releaseHome, 'package.json'), 'utf8')).version as string;
    log(`installing wasmts ${version} into ${prefix}`);
    const previous = this.#readState();
    // Refuse a config we cannot find or read before anything is changed.
    const configText = readText(this.#host.file(this.#options.config));
    if (configText !== undefined) configVersion(parseConfig(configText, this.#options.config), this.#options.config);
    else if (previous === undefined && !this.#options.createConfig) {
      throw new InstallError(
        `cannot find containerd's config ${this.#options.config}: pass --config with the file containerd reads ` +
          `(see its --config flag), or --create-config to write one there`,
      );
    }
    this.#copyRuntime();
    let config: ConfigChange;
    try {
      const handlersBefore = previous === undefined ? await this.#view.handlers() : [];
      config = previous?.config ?? (await this.#register());
      if (previous === undefined && config.kind !== 'untouched') await this.#verifyBeforeRestart(config, handlersBefore);
    } catch (error) {
      // A first install that cannot register leaves nothing behind.
      if (previous === undefined) this.#removeRuntime();
      throw error;
    }
    const state: InstallState = { version, handler: this.#options.handler, config };
    const docker = previous?.docker ?? this.#registerDocker();
    if (docker !== undefined) state.docker = docker;
    fs.writeFileSync(this.#host.file(path.join(this.#home, STATE_FILE)), `${JSON.stringify(state, null, 2)}\n`);
    if (previous === undefined && config.kind !== 'untouched') await this.#restart();
    else log('containerd config unchanged: no restart needed');
    await this.#expectHandler(true);
    if (this.#options.check) await this.#check();
    if (docker !== undefined && previous?.docker === undefined) log(`restart Docker to use --runtime ${docker.alias} (or use --runtime ${RUNTIME_TYPE} now)`);
    log(`done: CRI runtime handler "${this.#options.handler}" runs ${RUNTIME_TYPE}`);
  }

  async uninstall(): Promise<void> {
    const { log, prefix } = this.#options;
    const state = this.#readState();
    if (state === undefined) throw new InstallError(`wasmts is not installed under ${prefix} (no ${path.join(this.#home, STATE_FILE)})`);
    log(`removing wasmts ${state.version} from ${prefix}`);
    const changed = this.#unregister(state.config);
    if (state.docker !== undefined) this.#unregisterDocker(state.docker);
    this.#removeRuntime();
    if (changed) {
      await this.#restart();
      await this.#expectHandler(false);
    }
    log('done: wasmts removed');
  }

  #removeRuntime(): void {
    fs.rmSync(this.#host.file(path.join(this.#options.prefix, 'bin', SHIM_BINARY)), { force: true });
    fs.rmSync(this.#host.file(this.#home), { recursive: true, force: true });
  }

  #readState(): InstallState | undefined {
    const text = readText(this.#host.file(path.join(this.#home, STATE_FILE)));
    return text === undefined ? undefined : (JSON.parse(text) as InstallState);
  }

  #copyRuntime(): void {
    const home = this.#host.file(this.#home);
    const state = readText(path.join(home, STATE_FILE));
    fs.rmSync(home, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(home), { recursive: true });
    fs.cpSync(this.#options.releaseHome, home, { recursive: true, verbatimSymlinks: true });
    if (state !== undefined) fs.writeFileSync(path.join(home, STATE_FILE), state);
    // The release's own wrapper, told where the runtime now lives.
    const template = fs.readFileSync(path.join(this.#options.releaseHome, 'shim-wrapper.sh'), 'utf8');
    const wrapper = template.replace('#!/bin/sh\n', `#!/bin/sh\nWASMTS_HOME=${JSON.stringify(this.#home)}\n`);
    const binary = this.#host.file(path.join(this.#options.prefix, 'bin', SHIM_BINARY));
    fs.mkdirSync(path.dirname(binary), { recursive: true });
    writeAtomically(binary, wrapper);
    fs.chmodSync(binary, 0o755);
  }

  async #register(): Promise<ConfigChange> {
    const { config: file, handler, log } = this.#options;
    const onDisk = this.#host.file(file);
    const text = readText(onDisk);
    const parsed = text === undefined ? {} : parseConfig(text, file);
    const version = text === undefined ? versionForContainerd((await this.#containerdVersion()).trim()) : configVersion(parsed, file);
    const existing = registeredRuntimeType(parsed, version, handler);
    if (existing === RUNTIME_TYPE || (text !== undefined && hasRegistrationBlock(text))) {
      log(`${file} already registers the handler "${handler}"`);
      return { kind: 'untouched', file };
    }
    if (existing !== undefined) {
      throw new InstallError(`${file} already has a runtime handler "${handler}" with runtime_type "${existing}"; choose another name with --handler`);
    }
    // Version 3 (containerd 2.x) merges drop-ins into the config table by table. Versions 1
    // and 2 let a drop-in's plugin section replace the config's whole section (containerd's
    // other runtimes would be lost), so there the block goes into config.toml itself.
    const dir = text === undefined || version < 3 ? undefined : importDirectory(parsed, file);
    if (dir !== undefined) {
      const dropIn = path.join(dir, `${handler}.toml`);
      writeAtomically(this.#host.file(dropIn), dropInFile(version, handler));
      log(`wrote ${dropIn} (${file} imports ${dir}/*.toml)`);
      return { kind: 'drop-in', file: dropIn };
    }
    const written = appendRegistration(text ?? `version = ${version}\n`, version, handler);
    // The result must still parse and say what we mean, or nothing is written.
    if (registeredRuntimeType(parseConfig(written, `${file} with the wasmts block`), version, handler) !== RUNTIME_TYPE) {
      throw new InstallError(`${file}: adding the wasmts table does not register the handler; register it by hand`);
    }
    if (text === undefined) {
      writeAtomically(onDisk, written);
      log(`created ${file} (version ${version}) with the handler "${handler}"`);
      return { kind: 'created', file, written };
    }
    const backup = `${file}.before-wasmts`;
    if (!fs.existsSync(this.#host.file(backup))) fs.copyFileSync(onDisk, this.#host.file(backup));
    writeAtomically(onDisk, written);
    log(`registered the handler "${handler}" in ${file} (backup: ${backup})`);
    return { kind: 'appended', file, written, backup };
  }

  /** Reverts the config change; says whether containerd's config changed. */
  #unregister(change: ConfigChange): boolean {
    const { log } = this.#options;
    const onDisk = this.#host.file(change.file);
    const current = readText(onDisk);
    switch (change.kind) {
      case 'untouched':
        return false;
      case 'drop-in':
        fs.rmSync(onDisk, { force: true });
        log(`removed ${change.file}`);
        return true;
      case 'created':
      case 'appended': {
        if (current === undefined) return false;
        if (current === change.written) {
          if (change.kind === 'created') fs.rmSync(onDisk);
          else writeAtomically(onDisk, fs.readFileSync(this.#host.file(change.backup as string), 'utf8'));
          if (change.backup !== undefined) fs.rmSync(this.#host.file(change.backup), { force: true });
          log(change.kind === 'created' ? `removed ${change.file}` : `restored ${change.file} from ${change.backup}`);
        } else {
          // Changed by someone else since: keep their changes, take out only our block.
          writeAtomically(onDisk, removeRegistration(current));
          log(`removed the wasmts block from ${change.file} (it changed since install; ${change.backup ?? 'no backup'} kept)`);
        }
        return true;
      }
    }
  }

  #registerDocker(): InstallState['docker'] {
    const { dockerConfig: file, dockerAlias: alias = DEFAULT_HANDLER, log } = this.#options;
    if (file === undefined) return undefined;
    const text = readText(this.#host.file(file));
    const result = addDockerRuntime(text ?? '', file, alias);
    if (result.changed) {
      writeAtomically(this.#host.file(file), result.text);
      log(`registered the Docker runtime "${alias}" in ${file}`);
    }
    return { file, alias, created: text === undefined };
  }

  #unregisterDocker(docker: NonNullable<InstallState['docker']>): void {
    const onDisk = this.#host.file(docker.file);
    const text = readText(onDisk);
    if (text === undefined) return;
    const after = removeDockerRuntime(text, docker.file, docker.alias);
    if (docker.created && after.trim() === '{}') fs.rmSync(onDisk);
    else if (after !== text) writeAtomically(onDisk, after);
    this.#options.log(`removed the Docker runtime "${docker.alias}" from ${docker.file}`);
  }

  async #containerdVersion(): Promise<string> {
    const result = await this.#host.run([this.#options.containerd, '--version']);
    if (result.code !== 0) throw new InstallError(`cannot run ${this.#options.containerd} --version: ${result.stderr.trim() || `exit ${result.code}`}`);
    return result.stdout;
  }

  async #address(): Promise<string> {
    if (this.#options.address !== undefined) return this.#options.address;
    const text = readText(this.#host.file(this.#options.config));
    const grpc = text === undefined ? undefined : (parseConfig(text, this.#options.config).grpc as { address?: unknown } | undefined);
    return typeof grpc?.address === 'string' && grpc.address !== '' ? grpc.address : '/run/containerd/containerd.sock';
  }

  async #restart(): Promise<void> {
    const { restart, log, ctr } = this.#options;
    await restartContainerd(this.#host, restart, { address: await this.#address(), ctr, log });
  }

  /**
   * Before containerd is restarted into the new config: it must report the handler and
   * every handler it had. Otherwise the change is undone and nothing restarts.
   */
  async #verifyBeforeRestart(change: ConfigChange, handlersBefore: readonly string[]): Promise<void> {
    const { handler, config } = this.#options;
    let problem: string | undefined;
    try {
      const after = await this.#view.handlers();
      const lost = handlersBefore.filter((h) => !after.includes(h));
      if (!after.includes(handler)) problem = `containerd would not see the handler "${handler}" (another file it imports may replace the CRI section)`;
      else if (lost.length > 0) problem = `containerd would lose its runtime handlers ${lost.join(', ')}`;
    } catch (error) {
      problem = error instanceof Error ? error.message : String(error);
    }
    if (problem === undefined) return;
    this.#unregister(change);
    throw new InstallError(`${problem} with the wasmts registration in ${config}; it was taken out again and containerd was not restarted`);
  }

  /** containerd itself (with its imports merged) reports the handler, or no longer does. */
  async #expectHandler(present: boolean): Promise<void> {
    const { handler, config, log } = this.#options;
    const type = await this.#view.runtimeType(handler);
    if (present && type !== RUNTIME_TYPE) {
      throw new InstallError(`containerd does not see the handler "${handler}" in ${config} (config dump gives runtime_type ${JSON.stringify(type ?? null)})`);
    }
    if (!present && type === RUNTIME_TYPE) throw new InstallError(`containerd still sees the handler "${handler}" in ${config}`);
    log(present ? `containerd reports the handler "${handler}"` : `containerd no longer reports the handler "${handler}"`);
  }

  async #check(): Promise<void> {
    await runInstallCheck(this.#host, { address: await this.#address(), ctr: this.#options.ctr, image: path.join(this.#home, 'check', 'install-check.tar') });
    this.#options.log(`checked: a wasm container ran through ${RUNTIME_TYPE}`);
  }
}
