/**
 * Runs a client (ctr, docker) the way a user's shell would, with its output
 * going to pipes, files or a slow reader, and collects every byte.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

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
 * Stdin is /dev/null, or a file (`stdin.file`), or a pipe carrying `stdin.data`.
 * Killed after `timeoutMs`.
 */
export function runCaptured(
  command: string,
  args: readonly string[],
  sink: 'pipe' | 'file' | 'slow-pipe',
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; stdin?: { file: string } | { data: Uint8Array } } = {},
): Promise<CapturedRun> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const files = sink === 'file' ? [1, 2].map((n) => path.join(tmpdir(), `wasmts-capture-${process.pid}-${Date.now()}-${n}`)) : [];
  const fds = files.map((file) => openSync(file, 'w'));
  const stdin = options.stdin;
  const stdinFd = stdin !== undefined && 'file' in stdin ? openSync(stdin.file, 'r') : undefined;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: [stdinFd ?? (stdin !== undefined ? 'pipe' : 'ignore'), fds[0] ?? 'pipe', fds[1] ?? 'pipe'],
      env: options.env ?? process.env,
    });
    for (const fd of [...fds, ...(stdinFd === undefined ? [] : [stdinFd])]) closeSync(fd);
    if (child.stdin !== null && stdin !== undefined && 'data' in stdin) {
      child.stdin.on('error', () => {}); // a program that stops reading early is not a test failure
      child.stdin.end(stdin.data);
    }
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
