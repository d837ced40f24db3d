import { Errno, WasiError } from './errno.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/**
 * Little-endian access to the guest's linear memory. Views are re-derived when
 * the memory grows (the old ArrayBuffer is detached), so one MemoryView is safe
 * to keep for the instance's lifetime, including across JSPI suspensions.
 * Out-of-bounds guest pointers raise EFAULT instead of a host RangeError.
 */
export class MemoryView {
  #memory: WebAssembly.Memory | undefined;
  #buffer: ArrayBuffer | SharedArrayBuffer | undefined;
  #view: DataView | undefined;
  #bytes: Uint8Array | undefined;

  attach(memory: WebAssembly.Memory): void {
    this.#memory = memory;
    this.#buffer = undefined;
  }

  get attached(): boolean {
    return this.#memory !== undefined;
  }

  private refresh(): void {
    const memory = this.#memory;
    if (memory === undefined) throw new WasiError(Errno.FAULT, 'the module exports no memory');
    if (this.#buffer !== memory.buffer) {
      this.#buffer = memory.buffer;
      this.#view = new DataView(this.#buffer);
      this.#bytes = new Uint8Array(this.#buffer);
    }
  }

  get dataView(): DataView {
    this.refresh();
    return this.#view as DataView;
  }

  get bytes(): Uint8Array {
    this.refresh();
    return this.#bytes as Uint8Array;
  }

  /** Throws EFAULT unless [ptr, ptr+len) lies inside memory. */
  check(ptr: number, len: number): void {
    if (ptr < 0 || len < 0 || ptr + len > this.bytes.length) throw new WasiError(Errno.FAULT);
  }

  u8(ptr: number): number {
    this.check(ptr, 1);
    return this.dataView.getUint8(ptr);
  }
  u16(ptr: number): number {
    this.check(ptr, 2);
    return this.dataView.getUint16(ptr, true);
  }
  u32(ptr: number): number {
    this.check(ptr, 4);
    return this.dataView.getUint32(ptr, true);
  }
  u64(ptr: number): bigint {
    this.check(ptr, 8);
    return this.dataView.getBigUint64(ptr, true);
  }
  setU8(ptr: number, value: number): void {
    this.check(ptr, 1);
    this.dataView.setUint8(ptr, value);
  }
  setU16(ptr: number, value: number): void {
    this.check(ptr, 2);
    this.dataView.setUint16(ptr, value, true);
  }
  setU32(ptr: number, value: number): void {
    this.check(ptr, 4);
    this.dataView.setUint32(ptr, value, true);
  }
  setU64(ptr: number, value: bigint | number): void {
    this.check(ptr, 8);
    this.dataView.setBigUint64(ptr, BigInt.asUintN(64, BigInt(value)), true);
  }

  /** A view (not a copy) of guest bytes. */
  slice(ptr: number, len: number): Uint8Array {
    this.check(ptr, len);
    return this.bytes.subarray(ptr, ptr + len);
  }

  /** A copy of guest bytes, for data that outlives the call (queued writes). */
  copy(ptr: number, len: number): Buffer {
    this.check(ptr, len);
    return Buffer.from(this.bytes.subarray(ptr, ptr + len));
  }

  /** Decodes a guest path or name; invalid UTF-8 is EILSEQ. */
  string(ptr: number, len: number): string {
    const raw = this.slice(ptr, len);
    try {
      return utf8.decode(raw);
    } catch {
      throw new WasiError(Errno.ILSEQ);
    }
  }

  write(ptr: number, data: Uint8Array): void {
    this.check(ptr, data.length);
    this.bytes.set(data, ptr);
  }

  /**
   * Views of each iovec's buffer (`{u32 buf, u32 buf_len}` records). Used for
   * both directions: the host fills them on read and reads them on write.
   */
  iovecs(ptr: number, count: number): Uint8Array[] {
    this.check(ptr, count * 8);
    const views: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const buf = this.u32(ptr + i * 8);
      const len = this.u32(ptr + i * 8 + 4);
      views.push(this.slice(buf, len));
    }
    return views;
  }
}

export function encodeUtf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** Copies `data` into the iovecs in order; returns the number of bytes copied. */
export function scatter(data: Uint8Array, iovs: Uint8Array[]): number {
  let offset = 0;
  for (const iov of iovs) {
    if (offset >= data.length) break;
    const n = Math.min(iov.length, data.length - offset);
    iov.set(data.subarray(offset, offset + n));
    offset += n;
  }
  return offset;
}

export function totalLength(iovs: Uint8Array[]): number {
  let total = 0;
  for (const iov of iovs) total += iov.length;
  return total;
}

/** The iovecs that remain once the first `bytes` of them were consumed. */
export function skipBytes(views: Uint8Array[], bytes: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let left = bytes;
  for (const view of views) {
    if (left >= view.length) {
      left -= view.length;
      continue;
    }
    out.push(view.subarray(left));
    left = 0;
  }
  return out;
}
