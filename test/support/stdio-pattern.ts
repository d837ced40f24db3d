/**
 * What test/fixtures/stdio-burst.c writes, computed here independently, and the
 * checks that compare what a sink received with it, byte for byte (sha256).
 */
import { createHash } from 'node:crypto';

export type Ending = 'return' | 'exit0' | 'exit3' | 'trap';
export const ENDINGS: readonly Ending[] = ['return', 'exit0', 'exit3', 'trap'];
/** The exit status each ending must produce. */
export const ENDING_STATUS: Record<Ending, number> = { return: 0, exit0: 0, exit3: 3, trap: 134 };
export const SIZES: readonly number[] = [0, 1, 65535, 65536, 65537, 1_000_000, 16 * 1024 * 1024];

function pattern(length: number, byteAt: (i: number) => number): string {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = byteAt(i);
  return bytes.toString('latin1');
}

const NL = 10;
/** Byte i of the guest's stdout: a-m, a newline every 61st byte. */
export function expectedStdout(length: number): string {
  return pattern(length, (i) => (i % 61 === 60 ? NL : 97 + ((7 * i + Math.floor(i / 1024)) % 13)));
}
/** Byte i of the guest's stderr: N-Z, a newline every 53rd byte. */
export function expectedStderr(length: number): string {
  return pattern(length, (i) => (i % 53 === 52 ? NL : 78 + ((5 * i + Math.floor(i / 512)) % 13)));
}

export function sha256(text: string): string {
  return createHash('sha256').update(Buffer.from(text, 'latin1')).digest('hex');
}

/** Where two texts first differ, for a failure message that helps. */
function firstDifference(actual: string, expected: string): string {
  let i = 0;
  while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++;
  return `${actual.length} bytes received, ${expected.length} expected, first difference at byte ${i}`;
}

/** Throws unless `actual` is `expected`, byte for byte. */
export function assertSameBytes(actual: string, expected: string, what: string): void {
  if (actual.length !== expected.length || sha256(actual) !== sha256(expected)) {
    throw new Error(`${what}: ${firstDifference(actual, expected)}`);
  }
}

/** The trap report the runtime appends to stderr, split off what the guest wrote itself. */
export function splitTrapReport(stderr: string): { written: string; report: string } {
  const at = stderr.lastIndexOf('wasm trap: ');
  if (at === -1) return { written: stderr, report: '' };
  return { written: stderr.slice(0, at), report: stderr.slice(at) };
}

/**
 * Checks a sink that holds both streams in one (a file:// log): each stream's
 * letters keep their order (stdout's are a-m, stderr's N-Z) and the newlines add up.
 */
export function assertMergedStreams(merged: string, stdoutLength: number, stderrLength: number, what: string): void {
  const out = expectedStdout(stdoutLength);
  const err = expectedStderr(stderrLength);
  assertSameBytes(merged.replace(/[^a-m]/g, ''), out.replace(/\n/g, ''), `${what}, stdout's letters`);
  assertSameBytes(merged.replace(/[^N-Z]/g, ''), err.replace(/\n/g, ''), `${what}, stderr's letters`);
  const newlines = (text: string): number => text.split('\n').length - 1;
  if (newlines(merged) !== newlines(out) + newlines(err) || merged.length !== out.length + err.length) {
    throw new Error(`${what}: ${merged.length} bytes with ${newlines(merged)} newlines, ${out.length + err.length} bytes with ${newlines(out) + newlines(err)} expected`);
  }
}

