/**
 * Walks the instructions of a function body (core spec 5.4) far enough to
 * know where each one starts and ends. It knows the immediates of every
 * opcode of the MVP and of the finished proposals compilers emit for WASI
 * (sign extension, saturating conversion, bulk memory, reference types,
 * multi-value, SIMD, threads, tail calls, exceptions); anything else
 * (e.g. GC) throws UnsupportedInstructionError.
 */
import { BinaryReader } from './binary-reader.js';

export class UnsupportedInstructionError extends Error {}

export const MEMORY_GROW = 0x40;

/** Value types that are one byte long; 0x63/0x64 (ref null ht, ref ht) carry a heap type after. */
function skipValueType(r: BinaryReader): void {
  const b = r.byte();
  if (b === 0x63 || b === 0x64) r.skipLeb();
}

function skipBlockType(r: BinaryReader): void {
  const b = r.bytes[r.at]!;
  if (b === 0x40 || (b >= 0x6a && b <= 0x7f)) r.skip(1);
  else if (b === 0x63 || b === 0x64) skipValueType(r);
  else r.skipLeb(); // s33 type index
}

function skipMemarg(r: BinaryReader): void {
  const align = r.u32();
  if ((align & 0x40) !== 0) r.u32(); // multi-memory: a memory index follows
  r.skipLeb(); // offset (u64 under memory64)
}

/**
 * Calls `visit(opcode, start, end)` for every instruction of the expression
 * starting at `r.at` and ending at `end` (the body's end).
 */
export function walkInstructions(r: BinaryReader, end: number, visit: (opcode: number, start: number, r: BinaryReader) => void): void {
  while (r.at < end) {
    const start = r.at;
    const op = r.byte();
    skipImmediates(op, r);
    visit(op, start, r);
  }
}

function skipImmediates(op: number, r: BinaryReader): void {
  if ((op >= 0x45 && op <= 0xc4) || op <= 0x01 || op === 0x05 || op === 0x0a || op === 0x0b || op === 0x0f || op === 0x19 || op === 0x1a || op === 0x1b) return;
  switch (op) {
    case 0x02: case 0x03: case 0x04: case 0x06: // block loop if try
      skipBlockType(r);
      return;
    case 0x07: case 0x08: case 0x09: case 0x0c: case 0x0d: case 0x10: case 0x12: case 0x14: case 0x15: case 0x18:
    case 0x20: case 0x21: case 0x22: case 0x23: case 0x24: case 0x25: case 0x26:
    case 0xd2: case 0xd5: case 0xd6:
      r.u32();
      return;
    case 0x0e: { // br_table
      const n = r.u32();
      for (let i = 0; i <= n; i++) r.u32();
      return;
    }
    case 0x11: case 0x13: // call_indirect, return_call_indirect
      r.u32();
      r.u32();
      return;
    case 0x1c: { // select t*
      const n = r.u32();
      for (let i = 0; i < n; i++) skipValueType(r);
      return;
    }
    case 0x1f: { // try_table
      skipBlockType(r);
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const kind = r.byte();
        if (kind <= 0x01) r.u32();
        r.u32();
      }
      return;
    }
    case 0x3f: case 0x40: // memory.size, memory.grow
      r.u32();
      return;
    case 0x41: case 0x42:
      r.skipLeb();
      return;
    case 0x43:
      r.skip(4);
      return;
    case 0x44:
      r.skip(8);
      return;
    case 0xd0: // ref.null ht
      r.skipLeb();
      return;
    case 0xd1: case 0xd3: case 0xd4:
      return;
    case 0xfc:
      skipMisc(r);
      return;
    case 0xfd:
      skipSimd(r);
      return;
    case 0xfe:
      skipAtomic(r);
      return;
  }
  if (op >= 0x28 && op <= 0x3e) {
    skipMemarg(r);
    return;
  }
  throw new UnsupportedInstructionError(`opcode 0x${op.toString(16)} at byte ${r.at - 1}`);
}

function skipMisc(r: BinaryReader): void {
  const sub = r.u32();
  if (sub <= 7) return;
  switch (sub) {
    case 8: case 10: case 12: case 14: // memory.init, memory.copy, table.init, table.copy
      r.u32();
      r.u32();
      return;
    case 9: case 11: case 13: case 15: case 16: case 17:
      r.u32();
      return;
  }
  throw new UnsupportedInstructionError(`opcode 0xfc ${sub}`);
}

function skipSimd(r: BinaryReader): void {
  const sub = r.u32();
  if (sub <= 11 || sub === 92 || sub === 93) skipMemarg(r);
  else if (sub === 12 || sub === 13) r.skip(16);
  else if (sub >= 21 && sub <= 34) r.skip(1);
  else if (sub >= 84 && sub <= 91) {
    skipMemarg(r);
    r.skip(1);
  } else if (sub > 0x113) throw new UnsupportedInstructionError(`opcode 0xfd ${sub}`);
}

function skipAtomic(r: BinaryReader): void {
  const sub = r.u32();
  if (sub === 0x03) r.skip(1); // atomic.fence
  else if (sub <= 0x02 || (sub >= 0x10 && sub <= 0x4e)) skipMemarg(r);
  else throw new UnsupportedInstructionError(`opcode 0xfe ${sub}`);
}
