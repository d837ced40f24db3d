/**
 * The functions a core module imports, read from its import section alone
 * (WebAssembly core spec 5.5.5), without compiling it: the import section is
 * among the first sections, so a large module costs only a few small reads.
 * wasmts uses it to tell whether a guest can reach a network at all.
 */
import { open } from 'node:fs/promises';
import type { ModuleSource } from './container.js';

export interface ModuleImport {
  module: string;
  name: string;
}

const IMPORT_SECTION = 2;
const HEADER_BYTES = 8;
const decoder = new TextDecoder();

/** Random access to a module's bytes: a file in the rootfs, or a blob already in memory. */
interface ByteSource {
  read(offset: number, length: number): Promise<Uint8Array>;
}

function sourceOf(bytes: Uint8Array): ByteSource {
  return { read: async (offset, length) => bytes.subarray(offset, offset + length) };
}

/** Reads an unsigned LEB128 at `offset` of `bytes`: [value, bytes used], or undefined when cut short. */
function leb128(bytes: Uint8Array, offset: number): [number, number] | undefined {
  let value = 0;
  let shift = 0;
  for (let i = 0; i < 5 && offset + i < bytes.length; i++) {
    const byte = bytes[offset + i]!;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, i + 1];
    shift += 7;
  }
  return undefined;
}

class Cursor {
  offset = 0;
  private readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  u32(): number {
    const read = leb128(this.bytes, this.offset);
    if (read === undefined) throw new RangeError('truncated import section');
    this.offset += read[1];
    return read[0];
  }

  byte(): number {
    if (this.offset >= this.bytes.length) throw new RangeError('truncated import section');
    return this.bytes[this.offset++]!;
  }

  name(): string {
    const length = this.u32();
    if (this.offset + length > this.bytes.length) throw new RangeError('truncated import section');
    const text = decoder.decode(this.bytes.subarray(this.offset, this.offset + length));
    this.offset += length;
    return text;
  }

  /** Skips a limits value (memory and table types). */
  limits(): void {
    const flags = this.byte();
    this.u32();
    if ((flags & 0x01) !== 0) this.u32();
  }
}

/** The function imports in an import section's body. */
function functionImports(section: Uint8Array): ModuleImport[] {
  const cursor = new Cursor(section);
  const imports: ModuleImport[] = [];
  const count = cursor.u32();
  for (let i = 0; i < count; i++) {
    const module = cursor.name();
    const name = cursor.name();
    const kind = cursor.byte();
    switch (kind) {
      case 0x00: // func: type index
        cursor.u32();
        imports.push({ module, name });
        break;
      case 0x01: // table: reftype, limits
        cursor.byte();
        cursor.limits();
        break;
      case 0x02: // memory: limits
        cursor.limits();
        break;
      case 0x03: // global: valtype, mutability
        cursor.byte();
        cursor.byte();
        break;
      case 0x04: // tag (exception handling): attribute, type index
        cursor.byte();
        cursor.u32();
        break;
      default:
        throw new RangeError(`unknown import kind ${kind}`);
    }
  }
  return imports;
}

async function importsOf(source: ByteSource): Promise<ModuleImport[]> {
  let offset = HEADER_BYTES;
  for (;;) {
    // A section header: its id (one byte) and its size (at most five bytes).
    const head = await source.read(offset, 6);
    if (head.length === 0) return [];
    const size = leb128(head, 1);
    if (size === undefined) throw new RangeError('truncated section header');
    const id = head[0]!;
    const body = offset + 1 + size[1];
    if (id === IMPORT_SECTION) return functionImports(await source.read(body, size[0]));
    // Sections other than custom ones come in order: past the imports, there are none.
    if (id !== 0 && id > IMPORT_SECTION) return [];
    offset = body + size[0];
  }
}

/**
 * The function imports of a module; throws a RangeError when its sections are
 * malformed (the compiler then says what is wrong, with more precision).
 */
export async function moduleImports(source: ModuleSource): Promise<ModuleImport[]> {
  if (source.kind === 'blob') return importsOf(sourceOf(source.bytes));
  const handle = await open(source.hostPath, 'r');
  try {
    return await importsOf({
      read: async (offset, length) => {
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buffer, 0, length, offset);
        return buffer.subarray(0, bytesRead);
      },
    });
  } finally {
    await handle.close();
  }
}

/**
 * Whether a module can use a network: it imports a socket call (WASI preview
 * 1's sock_accept/sock_recv/sock_send/sock_shutdown, or WasmEdge's socket and
 * name-resolution calls, all named `sock_*`). A module importing none has no
 * way to open, accept or resolve anything on any network.
 */
export function usesNetwork(imports: readonly ModuleImport[]): boolean {
  return imports.some((i) => i.name.startsWith('sock_'));
}
