import { closeSync, constants, mkdirSync, openSync, statSync } from 'node:fs';
import path from 'node:path';
import { InternalError, NotImplementedError } from '../errors.js';
import type { OpenedStdio, StdioOpener } from '../task/collaborators.js';
import type { StdioPaths } from '../task/events.js';

const { O_RDONLY, O_WRONLY, O_NONBLOCK, O_APPEND, O_CREAT } = constants;

function isFifo(file: string): boolean {
  try {
    return statSync(file).isFIFO();
  } catch {
    return false;
  }
}

function open(file: string, flags: number, what: string): number {
  try {
    return openSync(file, flags, 0o600);
  } catch (cause) {
    throw new InternalError(`open ${what} ${file}`, { cause });
  }
}

/** A stdio path from Create/Exec: a FIFO or file path, or file:// (binary:// is not supported yet). */
function localPath(uri: string, what: string): string {
  if (uri.startsWith('file://')) {
    const file = new URL(uri).pathname;
    mkdirSync(path.dirname(file), { recursive: true });
    return file;
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) {
    const scheme = uri.slice(0, uri.indexOf(':'));
    throw new NotImplementedError(`${what} ${uri}: the ${scheme}:// stdio scheme is not supported by wasmts yet`);
  }
  return uri;
}

/**
 * Opens the stdio a client asked for, the way containerd's runc shim does:
 * for output FIFOs it keeps a reader of its own so the guest never sees EPIPE,
 * and for the stdin FIFO it keeps a writer of its own, closed by CloseIO, so the
 * guest sees EOF only once the client is done.
 */
export class FifoStdioOpener implements StdioOpener {
  async open(paths: StdioPaths): Promise<OpenedStdio> {
    const kept: number[] = [];
    const result: { stdin?: number; stdout?: number; stderr?: number } = {};
    let stdinWriter: number | undefined;
    try {
      if (paths.stdin !== '') {
        const file = localPath(paths.stdin, 'stdin');
        if (isFifo(file)) {
          result.stdin = open(file, O_RDONLY | O_NONBLOCK, 'stdin');
          stdinWriter = open(file, O_WRONLY | O_NONBLOCK, 'stdin');
        } else {
          result.stdin = open(file, O_RDONLY, 'stdin');
        }
      }
      for (const stream of ['stdout', 'stderr'] as const) {
        if (paths[stream] === '') continue;
        const file = localPath(paths[stream], stream);
        if (isFifo(file)) {
          kept.push(open(file, O_RDONLY | O_NONBLOCK, stream));
          result[stream] = open(file, O_WRONLY | O_NONBLOCK, stream);
        } else {
          result[stream] = open(file, O_WRONLY | O_APPEND | O_CREAT, stream);
        }
      }
    } catch (error) {
      for (const fd of [...kept, stdinWriter, result.stdin, result.stdout, result.stderr]) {
        if (fd !== undefined) closeSync(fd);
      }
      throw error;
    }
    let closed = false;
    const closeStdin = async () => {
      if (stdinWriter === undefined) return;
      const fd = stdinWriter;
      stdinWriter = undefined;
      closeSync(fd);
    };
    return {
      ...result,
      closeStdin,
      close: async () => {
        if (closed) return;
        closed = true;
        await closeStdin();
        for (const fd of kept.splice(0)) closeSync(fd);
      },
    };
  }
}
