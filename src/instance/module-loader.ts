import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from '../errors.js';
import type { ModuleSource } from '../oci/container.js';
import type { ModuleCache } from './module-cache.js';
import { describeNonModule } from '../oci/module-kind.js';

export { describeNonModule } from '../oci/module-kind.js';

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
