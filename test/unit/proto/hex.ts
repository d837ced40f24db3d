// Test helpers: readable byte literals for wire-format assertions.

/** Bytes from hex text; whitespace is ignored so literals can be grouped by field. */
export function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}

/** The hex form of an ASCII string, for splicing into a hex() literal. */
export function ascii(text: string): string {
  return Buffer.from(text, 'ascii').toString('hex');
}

/** Lower-case hex of some bytes, for readable failure diffs. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
