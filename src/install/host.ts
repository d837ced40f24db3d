import { spawn } from 'node:child_process';
import path from 'node:path';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The node being installed on, seen from the installer: its filesystem (under
 * `root`: '/' when run on the node itself, '/host' from a privileged pod with the
 * node's / mounted there) and a way to run its commands (in the node's own
 * namespaces, through nsenter, when run from a pod with hostPID).
 */
export class Host {
  readonly root: string;
  readonly #enter: boolean;

  constructor(root = '/') {
    this.root = path.resolve(root);
    this.#enter = this.root !== '/';
  }

  /** The path, as the installer sees it, of a path on the node. */
  file(nodePath: string): string {
    return path.join(this.root, nodePath);
  }

  /** Runs a command on the node; never throws for a non-zero exit. */
  run(argv: readonly string[], { timeoutMs = 120_000 }: { timeoutMs?: number } = {}): Promise<CommandResult> {
    const full = this.#enter ? ['nsenter', '--target', '1', '--mount', '--uts', '--ipc', '--net', '--pid', '--', ...argv] : [...argv];
    return new Promise((resolve) => {
      const child = spawn(full[0] as string, full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', (error) => {
        clearTimeout(timer);
        resolve({ code: 127, stdout, stderr: `${stderr}${error.message}\n` });
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code: code ?? (signal === null ? 1 : 128), stdout, stderr });
      });
    });
  }
}
