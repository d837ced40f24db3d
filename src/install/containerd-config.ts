/**
 * Registering wasmts as a CRI runtime handler in containerd's config.toml,
 * and taking it out again. Pure text in, text out: the installer does the I/O.
 *
 * The registration is one table, appended in a marked block (comments and
 * formatting of the rest stay as they were), or written as a drop-in file when
 * the config imports a directory of them:
 *
 *   version 2 (containerd 1.x):  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmts]
 *   version 3 (containerd 2.x):  [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.wasmts]
 *   version 1 (1.x, no version): [plugins.cri.containerd.runtimes.wasmts]
 *     runtime_type = "io.containerd.wasmts.v1"
 */
import path from 'node:path';
import { parse } from 'smol-toml';
import { InstallError } from './install-error.js';

export const RUNTIME_TYPE = 'io.containerd.wasmts.v1';
export const DEFAULT_HANDLER = 'wasmts';
export const BEGIN_MARK = '# BEGIN wasmts runtime handler: added by the wasmts installer, removed by its uninstall';
export const END_MARK = '# END wasmts runtime handler';

export type ConfigVersion = 1 | 2 | 3;

/** Where CRI's runtimes live, per config version. */
const CRI_RUNTIMES: Record<ConfigVersion, string[]> = {
  1: ['plugins', 'cri', 'containerd', 'runtimes'],
  2: ['plugins', 'io.containerd.grpc.v1.cri', 'containerd', 'runtimes'],
  3: ['plugins', 'io.containerd.cri.v1.runtime', 'containerd', 'runtimes'],
};

type Table = Record<string, unknown>;

/** Parses config.toml; throws an InstallError naming the file and the problem. */
export function parseConfig(text: string, file: string): Table {
  try {
    return parse(text) as Table;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    throw new InstallError(`cannot parse containerd's config ${file}: ${reason}`, { cause });
  }
}

/** The config's schema version: its `version` key; a config without one is version 1 (containerd 1.x reads it so). */
export function configVersion(config: Table, file: string): ConfigVersion {
  const version = config.version ?? 1;
  if (version === 1 || version === 2 || version === 3) return version;
  throw new InstallError(`containerd's config ${file} has version = ${String(version)}; this installer knows versions 1, 2 and 3`);
}

/** The version a new config gets for this containerd (`containerd --version` output, e.g. "containerd … v2.1.9 …"). */
export function versionForContainerd(versionOutput: string): ConfigVersion {
  const match = /\bv?(\d+)\.(\d+)\.\d+/.exec(versionOutput);
  if (match === null) throw new InstallError(`cannot tell containerd's version from: ${versionOutput.trim()}`);
  return Number(match[1]) >= 2 ? 3 : 2;
}

function dig(config: Table, keys: readonly string[]): unknown {
  let node: unknown = config;
  for (const key of keys) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Table)[key];
  }
  return node;
}

/** Every CRI runtime handler of the config, by name. */
export function registeredRuntimes(config: Table, version: ConfigVersion): Table {
  const runtimes = dig(config, CRI_RUNTIMES[version]);
  return runtimes !== null && typeof runtimes === 'object' ? (runtimes as Table) : {};
}

/** The runtime_type the config gives `handler`, if it has one. */
export function registeredRuntimeType(config: Table, version: ConfigVersion, handler: string): string | undefined {
  const runtime = dig(config, [...CRI_RUNTIMES[version], handler]);
  if (runtime === undefined) return undefined;
  const type = (runtime as Table).runtime_type;
  return typeof type === 'string' ? type : '';
}

function quoteKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
}

/** The table that registers `handler`, as TOML lines. */
export function registrationTable(version: ConfigVersion, handler: string): string {
  const header = [...CRI_RUNTIMES[version], handler].map(quoteKey).join('.');
  return `[${header}]\n  runtime_type = ${JSON.stringify(RUNTIME_TYPE)}\n`;
}

/** A drop-in file for an imports directory: containerd merges it into the main config. */
export function dropInFile(version: ConfigVersion, handler: string): string {
  return `# The wasmts runtime handler, written by the wasmts installer.\nversion = ${version}\n\n${registrationTable(version, handler)}`;
}

/**
 * The directory of drop-in files the config imports (an `imports` entry like
 * "/etc/containerd/conf.d/*.toml"), if any. A relative entry is relative to the
 * config's own directory, as containerd reads it.
 */
export function importDirectory(config: Table, file: string): string | undefined {
  const imports = config.imports;
  if (!Array.isArray(imports)) return undefined;
  for (const entry of imports) {
    if (typeof entry !== 'string' || !entry.endsWith('/*.toml')) continue;
    const dir = entry.slice(0, -'/*.toml'.length);
    return path.isAbsolute(dir) ? dir : path.join(path.dirname(file), dir);
  }
  return undefined;
}

/** `text` with the marked registration appended (a blank line before it). */
export function appendRegistration(text: string, version: ConfigVersion, handler: string): string {
  const separator = text === '' || text.endsWith('\n') ? '\n' : '\n\n';
  return `${text}${separator}${BEGIN_MARK}\n${registrationTable(version, handler)}${END_MARK}\n`;
}

/** `text` without the marked registration (and the blank line appendRegistration put before it). */
export function removeRegistration(text: string): string {
  const begin = text.indexOf(BEGIN_MARK);
  if (begin < 0) return text;
  const endMark = text.indexOf(END_MARK, begin);
  if (endMark < 0) throw new InstallError(`the wasmts block in containerd's config has its ${BEGIN_MARK.slice(0, 16)}… line but no end line; remove it by hand`);
  let end = endMark + END_MARK.length;
  if (text[end] === '\n') end += 1;
  let start = begin;
  if (start > 0 && text[start - 1] === '\n') start -= 1;
  return text.slice(0, start) + text.slice(end);
}

/** Whether the text holds our marked block. */
export function hasRegistrationBlock(text: string): boolean {
  return text.includes(BEGIN_MARK);
}
