/**
 * Runs a program to completion with a time bound, collecting its output.
 * Nothing a test starts this way can hang the suite: on timeout the child gets
 * SIGKILL and the result says so.
 */

import { spawn } from 'node:child_process';

export interface CommandResult {
  /** Exit status, or null when the child died from a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RunOptions {
  /** Default 30 s. */
  timeoutMs?: number;
  /** Written to stdin, which is then closed; without it stdin is /dev/null. */
  input?: string | Uint8Array;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;

export function runCommand(command: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      cwd: options.cwd,
    });
    // stdout and stderr are 'pipe' above, so never null.
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${command}: ${err.message}`, { cause: err }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
    if (options.input !== undefined && child.stdin !== null) {
      // A child that exits without reading its stdin must not fail the call.
      child.stdin.on('error', () => {});
      child.stdin.end(options.input);
    }
  });
}

/** One line describing a finished command, for assertion and error messages. */
export function describeResult(label: string, result: CommandResult): string {
  const status = result.timedOut
    ? 'timed out'
    : result.signal !== null
      ? `killed by ${result.signal}`
      : `exit ${result.code}`;
  const output = [result.stdout.trim(), result.stderr.trim()].filter((s) => s !== '').join('\n');
  return `${label}: ${status}${output === '' ? '' : `\n${output}`}`;
}
