/**
 * containerd's own view of its config, with its defaults and imports merged
 * (`containerd config dump`): what the installer checks before and after a
 * restart, rather than trusting its reading of one file.
 */
import fs from 'node:fs';
import { configVersion, parseConfig, registeredRuntimes, registeredRuntimeType } from './containerd-config.js';
import type { Host } from './host.js';
import { InstallError } from './install-error.js';

export class ContainerdView {
  readonly #host: Host;
  readonly #containerd: string;
  readonly #config: string;

  constructor(host: Host, containerd: string, config: string) {
    this.#host = host;
    this.#containerd = containerd;
    this.#config = config;
  }

  /** The merged config; undefined while the config file does not exist (containerd then runs on its defaults). */
  async dump(): Promise<Record<string, unknown> | undefined> {
    if (!fs.existsSync(this.#host.file(this.#config))) return undefined;
    const dump = await this.#host.run([this.#containerd, '--config', this.#config, 'config', 'dump']);
    if (dump.code !== 0) throw new InstallError(`${this.#containerd} --config ${this.#config} config dump failed: ${dump.stderr.trim()}`);
    return parseConfig(dump.stdout, `${this.#containerd} config dump`);
  }

  /** The CRI runtime handlers containerd would use. */
  async handlers(): Promise<string[]> {
    const parsed = await this.dump();
    return parsed === undefined ? [] : Object.keys(registeredRuntimes(parsed, configVersion(parsed, 'config dump')));
  }

  /** The runtime_type containerd would give `handler`. */
  async runtimeType(handler: string): Promise<string | undefined> {
    const parsed = await this.dump();
    return parsed === undefined ? undefined : registeredRuntimeType(parsed, configVersion(parsed, 'config dump'), handler);
  }
}
