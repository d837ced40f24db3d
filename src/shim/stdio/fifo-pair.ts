import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InternalError } from '../../errors.js';
import { runCommand as run } from '../../oci/command-shell.js';

const { O_RDONLY, O_WRONLY, O_NONBLOCK } = constants;

export interface FifoPair {
  /** Blocking read end, for a child process or a reader that expects one. */
  readFd: number;
  /** Write end (non-blocking; libuv handles and the guest's host wrap it). */
  writeFd: number;
}

/**
 * A pipe between two fds the daemon owns outright. Node cannot call pipe(2),
 * so this makes a FIFO in a private directory, opens both ends and unlinks it
 * at once: what remains is an anonymous pipe in all but name.
 */
export async function createFifoPair(): Promise<FifoPair> {
  const dir = mkdtempSync(path.join(tmpdir(), 'wasmts-pipe-'));
  const file = path.join(dir, 'p');
  try {
    await run('mkfifo', ['-m', '0600', file]);
    // Non-blocking read first (a FIFO open for write fails without a reader), then the writer.
    const probe = openSync(file, O_RDONLY | O_NONBLOCK);
    let writeFd: number;
    let readFd: number;
    try {
      writeFd = openSync(file, O_WRONLY | O_NONBLOCK);
      // A fresh blocking read end: a writer exists now, so this open does not wait.
      readFd = openSync(`/proc/self/fd/${probe}`, O_RDONLY);
    } finally {
      closeSync(probe);
    }
    return { readFd, writeFd };
  } catch (cause) {
    throw new InternalError('create a pipe for stdio', { cause });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
