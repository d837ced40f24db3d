/**
 * Puts a module's memory.grow under a cap the embedder can change at run time.
 *
 * memory.grow cannot be intercepted from JavaScript, so the module is
 * rewritten before it is compiled: each `memory.grow 0` becomes a call to one
 * appended function that refuses (returns -1, as a full allocator expects)
 * when the memory would pass the cap, counts the refusal, and otherwise grows.
 * The cap and the count are appended mutable globals, exported so the host
 * reads and sets them. Appending (a type, a function, two globals, two
 * exports) shifts no existing index, so calls, tables, names and exports stay
 * valid.
 */
import { BinaryReader, sleb, uleb } from './binary-reader.js';
import { MEMORY_GROW, UnsupportedInstructionError, walkInstructions } from './instruction-walker.js';

export const CAP_GLOBAL_EXPORT = '__wasmts_memory_cap_pages';
export const REFUSED_GLOBAL_EXPORT = '__wasmts_grow_refused';
export const WASM_PAGE_BYTES = 65_536;
/** The most pages a 32-bit memory can have (4 GiB): no cap. */
export const UNCAPPED_PAGES = 65_536;

const SECTION = { type: 1, import: 2, function: 3, memory: 5, global: 6, export: 7, code: 10 } as const;
const I32 = 0x7f;
const FUNC_TYPE = 0x60;
const EXPORT_GLOBAL = 0x03;

export type CapResult =
  | { capped: true; bytes: Uint8Array; memoryGrowSites: number }
  | { capped: false; reason: string; malformed?: boolean };

/** Collects output as slices (no copying, no argument-count limits), joined once at the end. */
class ByteSink {
  private readonly parts: Uint8Array[] = [];
  length = 0;

  add(bytes: Uint8Array | number[]): this {
    const part = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
    this.parts.push(part);
    this.length += part.length;
    return this;
  }

  join(): Uint8Array {
    return Buffer.concat(this.parts, this.length);
  }
}

interface Section {
  id: number;
  start: number; // first byte of the contents
  end: number;
}

function readSections(bytes: Uint8Array): Section[] {
  const r = new BinaryReader(bytes, 8);
  const sections: Section[] = [];
  while (!r.done) {
    const id = r.byte();
    const size = r.u32();
    sections.push({ id, start: r.at, end: r.at + size });
    r.skip(size);
  }
  return sections;
}

/** How many entries of each external kind a module imports (function 0, table 1, memory 2, global 3, tag 4). */
function importCounts(bytes: Uint8Array, section: Section | undefined): number[] {
  const counts = [0, 0, 0, 0, 0];
  if (section === undefined) return counts;
  const r = new BinaryReader(bytes, section.start);
  const n = r.u32();
  for (let i = 0; i < n; i++) {
    r.skip(r.u32()); // module
    r.skip(r.u32()); // name
    const kind = r.byte();
    counts[kind] = (counts[kind] ?? 0) + 1;
    if (kind === 0) r.u32();
    else if (kind === 1) {
      r.byte(); // reftype
      skipLimits(r);
    } else if (kind === 2) skipLimits(r);
    else if (kind === 3) {
      r.byte();
      r.byte();
    } else if (kind === 4) {
      r.byte();
      r.u32();
    } else throw new UnsupportedInstructionError(`import kind ${kind}`);
  }
  return counts;
}

function skipLimits(r: BinaryReader): number {
  const flags = r.byte();
  r.skipLeb();
  if ((flags & 0x01) !== 0) r.skipLeb();
  return flags;
}

/** Flags of memory 0's limits, whether defined or imported; undefined when the module has no memory. */
function firstMemoryFlags(bytes: Uint8Array, sections: Section[]): number | undefined {
  const imports = sections.find((s) => s.id === SECTION.import);
  if (imports !== undefined) {
    const r = new BinaryReader(bytes, imports.start);
    const n = r.u32();
    for (let i = 0; i < n; i++) {
      r.skip(r.u32());
      r.skip(r.u32());
      const kind = r.byte();
      if (kind === 2) return r.bytes[r.at];
      if (kind === 0) r.u32();
      else if (kind === 1) {
        r.byte();
        skipLimits(r);
      } else if (kind === 3) r.skip(2);
      else if (kind === 4) {
        r.byte();
        r.u32();
      }
    }
  }
  const memory = sections.find((s) => s.id === SECTION.memory);
  if (memory === undefined) return undefined;
  const r = new BinaryReader(bytes, memory.start);
  return r.u32() > 0 ? r.byte() : undefined;
}

/** A vector section with `extra` entries appended: new count, then the old entries, then the new ones. */
function appendToVector(bytes: Uint8Array, section: Section | undefined, extra: number[][]): Uint8Array {
  if (section === undefined) return Uint8Array.from([...uleb(extra.length), ...extra.flat()]);
  const r = new BinaryReader(bytes, section.start);
  const count = r.u32();
  return new ByteSink().add(uleb(count + extra.length)).add(bytes.subarray(r.at, section.end)).add(extra.flat()).join();
}

function vectorCount(bytes: Uint8Array, section: Section | undefined): number {
  return section === undefined ? 0 : new BinaryReader(bytes, section.start).u32();
}

function encodeName(name: string): number[] {
  const utf8 = [...Buffer.from(name, 'utf8')];
  return [...uleb(utf8.length), ...utf8];
}

/** The code section with every `memory.grow 0` replaced by `call growHook`, plus the hook's body. */
function rewriteCode(bytes: Uint8Array, section: Section, growHook: number, hookBody: number[]): { code: Uint8Array; sites: number } {
  const r = new BinaryReader(bytes, section.start);
  const count = r.u32();
  const out = new ByteSink().add(uleb(count + 1));
  let sites = 0;
  const call = [0x10, ...uleb(growHook)];
  for (let f = 0; f < count; f++) {
    const size = r.u32();
    const bodyEnd = r.at + size;
    const bodyStart = r.at;
    const locals = r.u32();
    for (let i = 0; i < locals; i++) {
      r.u32();
      const type = r.byte();
      if (type === 0x63 || type === 0x64) r.skipLeb();
    }
    const body = new ByteSink().add(bytes.subarray(bodyStart, r.at));
    let copied = r.at;
    walkInstructions(r, bodyEnd, (op, start, cursor) => {
      if (op !== MEMORY_GROW) return;
      if (new BinaryReader(bytes, start + 1).u32() !== 0) return; // another memory of a multi-memory module
      body.add(bytes.subarray(copied, start)).add(call);
      copied = cursor.at;
      sites++;
    });
    if (r.at !== bodyEnd) throw new RangeError(`function ${f}: instructions overran the body`);
    body.add(bytes.subarray(copied, bodyEnd));
    out.add(uleb(body.length)).add(body.join());
  }
  out.add(uleb(hookBody.length)).add(hookBody);
  return { code: out.join(), sites };
}

/** (param $delta i32) (result i32): refuse past the cap, else memory.grow. */
function growHookBody(capGlobal: number, refusedGlobal: number): number[] {
  const cap = uleb(capGlobal);
  const refused = uleb(refusedGlobal);
  return [
    0x00, // no locals
    // if (delta != 0 && size + delta > cap) { refused++; return -1 }  (64-bit sum: no wrap-around)
    0x3f, 0x00, 0xad, // memory.size 0; i64.extend_i32_u
    0x20, 0x00, 0xad, // local.get 0; i64.extend_i32_u
    0x7c, // i64.add
    0x23, ...cap, 0xad, // global.get cap; i64.extend_i32_u
    0x56, // i64.gt_u
    0x20, 0x00, 0x41, 0x00, 0x47, // local.get 0; i32.const 0; i32.ne
    0x71, // i32.and
    0x04, 0x40, // if
    0x23, ...refused, 0x41, 0x01, 0x6a, 0x24, ...refused, // refused += 1
    0x41, 0x7f, 0x0f, // return -1
    0x0b, // end
    0x20, 0x00, 0x40, 0x00, // local.get 0; memory.grow 0
    0x0b,
  ];
}

/**
 * Rewrites `bytes` so memory 0 grows only up to the cap global (initially
 * `capPages`). Returns capped: false, with the reason, for a module it cannot
 * rewrite safely (no memory, a 64-bit memory, an instruction it does not know).
 */
export function capMemoryGrowth(bytes: Uint8Array, capPages: number): CapResult {
  try {
    const sections = readSections(bytes);
    const find = (id: number) => sections.find((s) => s.id === id);
    const flags = firstMemoryFlags(bytes, sections);
    if (flags === undefined) return { capped: false, reason: 'the module has no memory' };
    if ((flags & 0x04) !== 0) return { capped: false, reason: 'the module has a 64-bit memory' };
    const code = find(SECTION.code);
    if (code === undefined) return { capped: false, reason: 'the module has no code' };

    const imported = importCounts(bytes, find(SECTION.import));
    const hookType = vectorCount(bytes, find(SECTION.type));
    const growHook = imported[0]! + vectorCount(bytes, find(SECTION.function));
    const capGlobal = imported[3]! + vectorCount(bytes, find(SECTION.global));
    const refusedGlobal = capGlobal + 1;

    const rewritten = rewriteCode(bytes, code, growHook, growHookBody(capGlobal, refusedGlobal));
    const replacement = new Map<number, Uint8Array>([
      [SECTION.type, appendToVector(bytes, find(SECTION.type), [[FUNC_TYPE, 1, I32, 1, I32]])],
      [SECTION.function, appendToVector(bytes, find(SECTION.function), [uleb(hookType)])],
      [
        SECTION.global,
        appendToVector(bytes, find(SECTION.global), [
          [I32, 0x01, 0x41, ...sleb(capPages), 0x0b],
          [I32, 0x01, 0x41, 0x00, 0x0b],
        ]),
      ],
      [
        SECTION.export,
        appendToVector(bytes, find(SECTION.export), [
          [...encodeName(CAP_GLOBAL_EXPORT), EXPORT_GLOBAL, ...uleb(capGlobal)],
          [...encodeName(REFUSED_GLOBAL_EXPORT), EXPORT_GLOBAL, ...uleb(refusedGlobal)],
        ]),
      ],
      [SECTION.code, rewritten.code],
    ]);
    return { capped: true, bytes: assemble(bytes, sections, replacement), memoryGrowSites: rewritten.sites };
  } catch (error) {
    if (error instanceof UnsupportedInstructionError) return { capped: false, reason: `it uses ${error.message}, which wasmts cannot cap` };
    if (error instanceof RangeError) return { capped: false, reason: error.message, malformed: true };
    throw error;
  }
}

/** Known sections in the order the spec requires them (custom sections stay where they were). */
const ORDER = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];

function assemble(bytes: Uint8Array, sections: Section[], replacement: Map<number, Uint8Array>): Uint8Array {
  const out = new ByteSink().add(bytes.subarray(0, 8));
  const pending = new Map(replacement);
  const emit = (id: number, contents: Uint8Array) => {
    out.add([id, ...uleb(contents.length)]).add(contents);
  };
  const emitMissingBefore = (id: number) => {
    // Sections the module lacked (e.g. no globals) go in before the first one that follows them.
    for (const [missing, contents] of pending) {
      if (ORDER.indexOf(missing) < ORDER.indexOf(id)) {
        emit(missing, contents);
        pending.delete(missing);
      }
    }
  };
  for (const section of sections) {
    if (section.id !== 0) emitMissingBefore(section.id);
    const contents = pending.get(section.id);
    if (contents !== undefined && section.id !== 0) {
      emit(section.id, contents);
      pending.delete(section.id);
    } else {
      emit(section.id, bytes.subarray(section.start, section.end));
    }
  }
  for (const [id, contents] of [...pending].sort((a, b) => ORDER.indexOf(a[0]) - ORDER.indexOf(b[0]))) emit(id, contents);
  return out.join();
}
