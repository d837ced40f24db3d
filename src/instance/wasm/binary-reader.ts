/** A cursor over a WebAssembly binary (core spec 5: LEB128 integers, bytes). */
export class BinaryReader {
  readonly bytes: Uint8Array;
  at: number;

  // No parameter properties: the guest's worker loads this with Node's type stripping (in tests, from source).
  constructor(bytes: Uint8Array, at = 0) {
    this.bytes = bytes;
    this.at = at;
  }

  get done(): boolean {
    return this.at >= this.bytes.length;
  }

  byte(): number {
    if (this.at >= this.bytes.length) throw new RangeError('unexpected end of the module');
    return this.bytes[this.at++]!;
  }

  /** An unsigned LEB128 of at most 32 bits. */
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 35) throw new RangeError('malformed LEB128 integer');
    }
  }

  /** Skips a signed or unsigned LEB128 of any width (s33, s64 included). */
  skipLeb(): void {
    for (let n = 0; n < 10; n++) if ((this.byte() & 0x80) === 0) return;
    throw new RangeError('malformed LEB128 integer');
  }

  skip(count: number): void {
    if (this.at + count > this.bytes.length) throw new RangeError('unexpected end of the module');
    this.at += count;
  }
}

/** Unsigned LEB128 encoding of `value`. */
export function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 encoding of a 32-bit `value`. */
export function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}
