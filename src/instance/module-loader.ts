import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from '../errors.js';
import type { ModuleSource } from '../oci/container.js';
import type { ModuleCache } from './module-cache.js';

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d]; // "\0asm", WebAssembly core spec 5.5.16
const CORE_MODULE_VERSION = [0x01, 0x00, 0x00, 0x00];
const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

const RUN_WASM_HINT = 'wasmts runs WebAssembly (WASI preview 1) modules; use a wasm image, or the runc runtime for Linux programs';

function startsWith(bytes: Uint8Array, prefix: number[], offset = 0): boolean {
  return prefix.every((b, i) => bytes[offset + i] === b);
}

/** Says what `bytes` are when they are not a core WebAssembly module, or undefined if they may be one. */
export function describeNonModule(bytes: Uint8Array, guestPath: string): string | undefined {
  if (bytes.length === 0) return `${guestPath} is an empty file, not a WebAssembly module; ${RUN_WASM_HINT}`;
  if (startsWith(bytes, ELF_MAGIC)) {
    return `${guestPath} is a Linux ELF executable, not a WebAssembly module; ${RUN_WASM_HINT}`;
  }
  if (bytes[0] === 0x23 && bytes[1] === 0x21) {
    return `${guestPath} is a script (it starts with #!), not a WebAssembly module; ${RUN_WASM_HINT}`;
  }
  if (startsWith(bytes, WASM_MAGIC)) {
    if (startsWith(bytes, CORE_MODULE_VERSION, 4)) return undefined;
    if (bytes[6] === 0x01 && bytes[7] === 0x00) {
      return `${guestPath} is a WebAssembly component, not a core module; wasmts runs WASI preview 1 core modules`;
    }
    return `${guestPath} is a WebAssembly binary of an unsupported version`;
  }
  const head = Buffer.from(bytes.subarray(0, 64));
  const printable = head.every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f) || b >= 0x80);
  if (printable) {
    const firstLine = head.toString('utf8').split('\n')[0]?.slice(0, 40) ?? '';
    return `${guestPath} is a text file (it starts with ${JSON.stringify(firstLine)}), not a WebAssembly module; ${RUN_WASM_HINT}`;
  }
  return `${guestPath} is not a WebAssembly module (no \\0asm header); ${RUN_WASM_HINT}`;
}

export interface ProvidedImport {
  module: string;
  name: string;
}

/** Names every import the host does not provide, or undefined when all are provided. */
export function describeMissingImports(
  module: WebAssembly.Module,
  provided: readonly ProvidedImport[],
  guestPath: string,
): string | undefined {
  const have = new Set(provided.map((p) => `${p.module}\u0000${p.name}`));
  const missing = WebAssembly.Module.imports(module).filter((i) => !have.has(`${i.module}\u0000${i.name}`));
  if (missing.length === 0) return undefined;
  const names = missing.map((i) => `${i.module}.${i.name} (${i.kind})`);
  const modules = [...new Set(provided.map((p) => p.module))].join(', ');
  return `${guestPath} imports ${names.join(', ')}, which wasmts does not provide (it provides ${modules})`;
}

/** A module ready to instantiate, and how it was had. */
export interface LoadedModule {
  module: WebAssembly.Module;
  /** sha256 of the module's bytes, as they were read. */
  digest: string;
  /** Compiled for an earlier container of this daemon, not for this one. */
  cached: boolean;
}

async function bytesOf(source: ModuleSource, name: string): Promise<Uint8Array> {
  if (source.kind === 'blob') return source.bytes;
  try {
    return await readFile(source.hostPath);
  } catch (cause) {
    throw new InvalidArgumentError(`cannot read ${name} from the container's rootfs`, { cause });
  }
}

function digestOf(source: ModuleSource, bytes: Uint8Array): string {
  if (source.kind === 'blob') return source.digest;
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * Reads, checks and compiles a module, with errors that name it (`name`: its
 * guest path, or image@digest) and the problem. A module compiled before for
 * the same bytes and `variant` (the transform's settings) comes from `cache`.
 */
export async function loadModule(
  source: ModuleSource,
  name: string,
  provided: readonly ProvidedImport[],
  options: {
    cache?: ModuleCache;
    /** Rewrites a module's bytes before compiling (e.g. to cap memory growth). */
    transform?: (bytes: Uint8Array) => Uint8Array;
    /** Tells apart the compiled forms of one module's bytes (e.g. the memory cap). */
    variant?: string;
  } = {},
): Promise<LoadedModule> {
  const bytes = await bytesOf(source, name);
  const notModule = describeNonModule(bytes, name);
  if (notModule !== undefined) throw new InvalidArgumentError(notModule);
  const digest = digestOf(source, bytes);
  const compile = async () => {
    try {
      return await WebAssembly.compile(options.transform === undefined ? bytes : options.transform(bytes));
    } catch (cause) {
      if (cause instanceof InvalidArgumentError) throw cause;
      const detail = cause instanceof Error ? cause.message.replace(/^WebAssembly\.compile\(\): /, '') : String(cause);
      throw new InvalidArgumentError(`${name} is not a valid WebAssembly module: ${detail}`, { cause });
    }
  };
  const key = options.variant === undefined ? digest : `${digest}+${options.variant}`;
  const { module, hit } = options.cache === undefined ? { module: await compile(), hit: false } : await options.cache.getOrCompile(key, bytes.length, compile);
  const missing = describeMissingImports(module, provided, name);
  if (missing !== undefined) throw new InvalidArgumentError(missing);
  if (!WebAssembly.Module.exports(module).some((e) => e.name === '_start' && e.kind === 'function')) {
    throw new InvalidArgumentError(
      `${name} has no _start function; wasmts runs WASI command modules (reactor modules are not supported)`,
    );
  }
  return { module, digest, cached: hit };
}
