/**
 * What test/fixtures/stdio-burst.c writes, computed here independently, and the
 * checks that compare what a sink received with it, byte for byte (sha256).
 */
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

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

export interface CapturedRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a client command with its stdout and stderr going to:
 * - 'pipe': pipes read as fast as they come;
 * - 'file': regular files (the client writes them, we read them afterwards);
 * - 'slow-pipe': pipes read 16 KiB at a time every 10 ms.
 * Stdin is /dev/null. Killed after `timeoutMs`.
 */
export function runCaptured(
  command: string,
  args: readonly string[],
  sink: 'pipe' | 'file' | 'slow-pipe',
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CapturedRun> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const files = sink === 'file' ? [1, 2].map((n) => path.join(tmpdir(), `wasmts-capture-${process.pid}-${Date.now()}-${n}`)) : [];
  const fds = files.map((file) => openSync(file, 'w'));
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', fds[0] ?? 'pipe', fds[1] ?? 'pipe'],
      env: options.env ?? process.env,
    });
    for (const fd of fds) closeSync(fd);
    const chunks: { stdout: Buffer[]; stderr: Buffer[] } = { stdout: [], stderr: [] };
    for (const name of ['stdout', 'stderr'] as const) {
      const stream = child[name];
      if (stream === null) continue;
      if (sink === 'slow-pipe') {
        stream.pause();
        const tick = setInterval(() => {
          const chunk = stream.read(16 * 1024) ?? stream.read();
          if (chunk !== null) chunks[name].push(chunk as Buffer);
        }, 10);
        stream.on('end', () => clearInterval(tick));
        stream.on('readable', () => {}); // keeps the stream reading into its buffer as we take from it
      } else {
        stream.on('data', (chunk: Buffer) => chunks[name].push(chunk));
      }
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const read = (i: number, name: 'stdout' | 'stderr'): string => {
        if (files[i] === undefined) return Buffer.concat(chunks[name]).toString('latin1');
        const text = readFileSync(files[i]!).toString('latin1');
        rmSync(files[i]!, { force: true });
        return text;
      };
      resolve({ code, stdout: read(0, 'stdout'), stderr: read(1, 'stderr') });
    });
  });
}
