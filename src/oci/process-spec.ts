import { InvalidArgumentError } from '../errors.js';
import type { ProcessSpec } from './container.js';

interface OciProcess {
  args?: unknown;
  env?: unknown;
  cwd?: unknown;
  terminal?: unknown;
}

function stringArray(value: unknown, field: string, where: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new InvalidArgumentError(`${where}: process.${field} must be an array of strings`);
  }
  return value as string[];
}

/** The parts of an OCI `process` object a wasm guest uses. */
export function processSpecFrom(process: OciProcess | undefined, where: string): ProcessSpec {
  if (process === undefined || process === null || typeof process !== 'object') {
    throw new InvalidArgumentError(`${where}: the OCI spec has no process`);
  }
  const cwd = process.cwd === undefined || process.cwd === '' ? '/' : process.cwd;
  if (typeof cwd !== 'string' || !cwd.startsWith('/')) {
    throw new InvalidArgumentError(`${where}: process.cwd must be an absolute path`);
  }
  return {
    args: stringArray(process.args, 'args', where),
    env: stringArray(process.env, 'env', where),
    cwd,
    terminal: process.terminal === true,
  };
}

/** Parses an OCI Process spec as ExecProcessRequest carries it (JSON). */
export function parseProcessSpec(json: string, where: string): ProcessSpec {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (cause) {
    throw new InvalidArgumentError(`${where}: the process spec is not valid JSON`, { cause });
  }
  return processSpecFrom(parsed as OciProcess, where);
}
