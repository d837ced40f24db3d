/**
 * Registering wasmts with Docker Engine: an alias in daemon.json, so that
 * `docker run --runtime wasmts` works next to `--runtime io.containerd.wasmts.v1`
 * (which needs no registration: the shim only has to be on containerd's PATH).
 * Pure JSON text in, text out.
 */
import { RUNTIME_TYPE } from './containerd-config.js';
import { InstallError } from './install-error.js';

type Json = Record<string, unknown>;

function parseDaemonJson(text: string, file: string): Json {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new InstallError(`cannot parse Docker's ${file}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InstallError(`Docker's ${file} is not a JSON object`);
  return value as Json;
}

/** daemon.json with `runtimes.<alias>` set to the wasmts shim; throws if the alias names another runtime. */
export function addDockerRuntime(text: string, file: string, alias: string): { text: string; changed: boolean } {
  const config = parseDaemonJson(text, file);
  const runtimes = (config.runtimes ?? {}) as Json;
  if (typeof runtimes !== 'object' || runtimes === null || Array.isArray(runtimes)) throw new InstallError(`Docker's ${file}: "runtimes" is not an object`);
  const existing = runtimes[alias] as Json | undefined;
  if (existing !== undefined) {
    if (existing.runtimeType === RUNTIME_TYPE) return { text, changed: false };
    throw new InstallError(`Docker's ${file} already has a runtime "${alias}" (${JSON.stringify(existing)}); choose another name with --docker-alias`);
  }
  config.runtimes = { ...runtimes, [alias]: { runtimeType: RUNTIME_TYPE } };
  return { text: `${JSON.stringify(config, null, 2)}\n`, changed: true };
}

/** daemon.json without the alias (and without "runtimes" if nothing else was in it). */
export function removeDockerRuntime(text: string, file: string, alias: string): string {
  const config = parseDaemonJson(text, file);
  const runtimes = config.runtimes as Json | undefined;
  if (runtimes === undefined || (runtimes[alias] as Json | undefined)?.runtimeType !== RUNTIME_TYPE) return text;
  const { [alias]: _removed, ...rest } = runtimes;
  if (Object.keys(rest).length === 0) delete config.runtimes;
  else config.runtimes = rest;
  return `${JSON.stringify(config, null, 2)}\n`;
}
