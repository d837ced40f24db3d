/**
 * What an operator sets for wasmts through containerd's runtime options: the
 * runtime's `options` section of containerd's config (`ConfigPath`; or a TOML
 * body in `config_body`, when containerd sends one), or
 * `ctr run --runtime-config-path FILE`. containerd hands them over in each
 * CreateTaskRequest as a runtimeoptions.v1.Options; the file (or body) is TOML:
 *
 *   SpareIdleSeconds = 120   # an unclaimed spare daemon exits after this long (default 600)
 *
 * Spares start before any task brings the settings, so a daemon that gets them
 * writes them where its containerd's spares look (spareSettingsPath), and the
 * spares read them while they wait.
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'smol-toml';
import { InvalidArgumentError } from '../../errors.js';
import { runtimeoptions } from '../../generated/index.js';
import { DEFAULT_SOCKET_DIR } from '../cli/socket-address.js';

export interface RuntimeSettings {
  spareIdleSeconds?: number;
}

const KEYS = ['SpareIdleSeconds'] as const;

/** The settings in a TOML text; `where` names it in errors. */
export function parseRuntimeSettings(text: string, where: string): RuntimeSettings {
  let table: Record<string, unknown>;
  try {
    table = parse(text) as Record<string, unknown>;
  } catch (cause) {
    throw new InvalidArgumentError(`wasmts runtime options ${where} are not valid TOML: ${(cause as Error).message.split('\n')[0]}`, { cause });
  }
  const unknown = Object.keys(table).filter((key) => !(KEYS as readonly string[]).includes(key));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(`wasmts runtime options ${where}: unknown ${unknown.length === 1 ? 'key' : 'keys'} ${unknown.join(', ')} (known: ${KEYS.join(', ')})`);
  }
  const settings: RuntimeSettings = {};
  const idle = table.SpareIdleSeconds;
  if (idle !== undefined) {
    if (typeof idle !== 'number' || !Number.isInteger(idle) || idle < 1) {
      throw new InvalidArgumentError(`wasmts runtime options ${where}: SpareIdleSeconds must be a whole number of seconds, at least 1`);
    }
    settings.spareIdleSeconds = idle;
  }
  return settings;
}

/** The settings a CreateTaskRequest's `options` carry: none unless they are a runtimeoptions.v1.Options. */
export function runtimeSettingsOf(options: { typeUrl?: string | null; value?: Uint8Array | null } | null | undefined): RuntimeSettings {
  if (!options?.typeUrl?.endsWith('runtimeoptions.v1.Options') || options.value === null || options.value === undefined) return {};
  const { configPath, configBody } = runtimeoptions.v1.Options.decode(options.value);
  if (configPath !== '') {
    let text: string;
    try {
      text = readFileSync(configPath, 'utf8');
    } catch (cause) {
      throw new InvalidArgumentError(`cannot read the wasmts runtime options file ${configPath}: ${(cause as Error).message}`, { cause });
    }
    return parseRuntimeSettings(text, `in ${configPath}`);
  }
  if (configBody.length > 0) return parseRuntimeSettings(Buffer.from(configBody).toString('utf8'), "in containerd's config");
  return {};
}

/** Where the spares of one containerd find the settings its tasks brought. */
export function spareSettingsPath(containerdAddress: string, socketDir = DEFAULT_SOCKET_DIR): string {
  return path.join(socketDir, `wasmts-settings-${createHash('sha256').update(containerdAddress).digest('hex').slice(0, 32)}.json`);
}

export function writeSpareSettings(file: string, settings: RuntimeSettings): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(settings), { mode: 0o600 });
  renameSync(tmp, file);
}

/** The settings spares should follow, or none when no task brought any. */
export function readSpareSettings(file: string): RuntimeSettings {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as RuntimeSettings;
    return typeof value.spareIdleSeconds === 'number' ? { spareIdleSeconds: value.spareIdleSeconds } : {};
  } catch {
    return {};
  }
}
