/**
 * Runs short system commands (mount, umount, mkfifo) for a daemon through one
 * long-lived `sh` child instead of spawning each from the daemon: a spawn forks
 * the daemon, whose page tables grow with every guest it runs (tens of ms of
 * CPU per spawn in a busy daemon), while the small shell forks in well under a
 * millisecond. Commands run one at a time, in order. Each is sent as a line of
 * single-quoted words; the shell answers `<status> <byte count>\n` and then
 * the command's combined output.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

/** A command that failed: its status and what it printed (as execFile's errors carry `stderr`). */
export class CommandError extends Error {
  readonly code: number;
  readonly stderr: string;

  constructor(command: string, code: number, output: string) {
    super(`${command} exited with status ${code}${output.trim() === '' ? '' : `: ${output.trim()}`}`);
    this.code = code;
    this.stderr = output;
  }
}

const LOOP = `while IFS= read -r line; do out=$(eval "$line" 2>&1 </dev/null); printf '%s %s\\n' "$?" "\${#out}"; printf '%s' "$out"; done`;

function quote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

interface Pending {
  command: string;
  resolve: (output: string) => void;
  reject: (error: Error) => void;
}

class Shell {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly queue: Pending[] = [];
  private buffer = Buffer.alloc(0);
  dead = false;

  constructor() {
    // LC_ALL=C: ${#out} then counts bytes.
    this.child = spawn('/bin/sh', ['-c', LOOP], { stdio: 'pipe', env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' } });
    this.hold(false);
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
    this.child.stderr.resume();
    const fail = (error: Error) => {
      this.dead = true;
      for (const pending of this.queue.splice(0)) pending.reject(error);
    };
    this.child.on('error', fail);
    this.child.on('exit', () => fail(new Error('the command shell exited')));
    this.child.stdin.on('error', () => {});
  }

  get idle(): boolean {
    return this.queue.length === 0;
  }

  /** Ends the shell (idle only) and resolves once it has exited. */
  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.dead || this.child.exitCode !== null || this.child.signalCode !== null) return resolve();
      this.child.once('exit', () => resolve());
      this.child.kill('SIGKILL');
    });
  }

  run(file: string, args: readonly string[]): Promise<string> {
    const command = [file, ...args].map(quote).join(' ');
    return new Promise((resolve, reject) => {
      if (command.includes('\n')) {
        reject(new Error(`a command line cannot hold a newline: ${command}`));
        return;
      }
      // While a command runs the shell keeps the process alive (a short-lived `delete` awaits its umount); idle, it does not.
      if (this.queue.length === 0) this.hold(true);
      this.queue.push({ command: [file, ...args].join(' '), resolve, reject });
      this.child.stdin.write(`${command}\n`);
    });
  }

  /** Whether the shell (its process and pipes) keeps Node's event loop alive. */
  private hold(busy: boolean): void {
    const handles = [this.child, this.child.stdin, this.child.stdout, this.child.stderr] as unknown as { ref?: () => void; unref?: () => void }[];
    for (const handle of handles) (busy ? handle.ref : handle.unref)?.call(handle);
  }

  private drain(): void {
    for (;;) {
      const newline = this.buffer.indexOf(0x0a);
      if (newline === -1) return;
      const [status, length] = this.buffer.subarray(0, newline).toString('latin1').split(' ').map(Number);
      if (this.buffer.length < newline + 1 + length!) return;
      const output = this.buffer.subarray(newline + 1, newline + 1 + length!).toString('utf8');
      this.buffer = this.buffer.subarray(newline + 1 + length!);
      const pending = this.queue.shift();
      if (this.queue.length === 0) this.hold(false);
      if (pending === undefined) continue;
      if (status === 0) pending.resolve(output);
      else pending.reject(new CommandError(pending.command, status ?? -1, output));
    }
  }
}

let shell: Shell | undefined;

/** Runs `file args…` (looked up on PATH) and resolves to its output; rejects with a CommandError on a non-zero status. */
export function runCommand(file: string, args: readonly string[]): Promise<string> {
  if (shell === undefined || shell.dead) shell = new Shell();
  return shell.run(file, args);
}

/**
 * Ends the shell while it runs nothing (the next command starts another), so
 * that it leaves the cgroup it was born in: a pod's daemon leaving the pod's
 * cgroup leaves no process of its own behind there that would keep it from removal.
 */
export async function stopCommandShell(): Promise<void> {
  const current = shell;
  if (current === undefined || !current.idle) return;
  shell = undefined;
  await current.stop();
}
