import { closeSync, constants, mkdirSync, openSync, statSync } from 'node:fs';
import path from 'node:path';
import { InternalError, InvalidArgumentError } from '../../errors.js';
import { OUTPUT_DRAIN_TIMEOUT_MS } from '../../instance/worker-protocol.js';
import { waitUntilPipesDrained } from '../../wasi/pipe-drain.js';
import type { OpenedStdio, StdioOpener, StdioOwner } from '../../task/collaborators.js';
import type { StdioPaths } from '../../task/events.js';
import { startBinaryLogger } from './binary-logger.js';
import { openTerminal } from './terminal-relay.js';

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

function closeAll(fds: Iterable<number | undefined>): void {
  for (const fd of fds) {
    if (fd === undefined) continue;
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
}

/** The scheme of a stdio URI (containerd's shim protocol), or undefined for a plain path. */
function schemeOf(uri: string): string | undefined {
  return /^([a-z][a-z0-9+.-]*):\/\//i.exec(uri)?.[1]?.toLowerCase();
}

/** A file:///abs/path URI as a path, its parent directory created. */
function fileUriPath(uri: string): string {
  const file = decodeURIComponent(new URL(uri).pathname);
  mkdirSync(path.dirname(file), { recursive: true });
  return file;
}

/**
 * Opens the stdio a client asked for, as containerd's runc shim does:
 * - plain paths (ctr's and CRI's FIFOs): stdin is read without a writer of our
 *   own, so the guest sees end of file when the client closes its end; for each
 *   output FIFO the opener keeps a reader so the guest never gets EPIPE, and a
 *   writer, so that what a killed guest had written can still be seen through
 *   to the client (drainOutput) before its readers get end of file (close);
 * - `file:///path`: stdout and stderr appended to that file;
 * - `binary:///path?args`: a logging binary reading fds 3 and 4.
 */
export class FifoStdioOpener implements StdioOpener {
  constructor(private readonly namespace: string) {}

  async open(paths: StdioPaths, owner: StdioOwner): Promise<OpenedStdio> {
    if (paths.terminal) return openTerminal(paths);
    const schemes = [paths.stdout, paths.stderr].map(schemeOf);
    if (schemes.includes('binary') && paths.stdout !== paths.stderr && paths.stderr !== '' && paths.stdout !== '') {
      throw new InvalidArgumentError(`stdio of ${owner.containerId}: a binary:// logger must receive both stdout and stderr`);
    }
    const kept: number[] = [];
    const heldWriters: number[] = [];
    const result: { stdin?: number; stdout?: number; stderr?: number } = {};
    let stopLogger: (() => Promise<void>) | undefined;
    try {
      if (paths.stdin !== '') result.stdin = openStdin(paths.stdin);
      const uri = paths.stdout !== '' ? paths.stdout : paths.stderr;
      if (schemeOf(uri) === 'binary') {
        const logger = await startBinaryLogger(uri, { containerId: owner.containerId, namespace: this.namespace });
        result.stdout = logger.stdoutFd;
        result.stderr = logger.stderrFd;
        stopLogger = logger.stop;
      } else {
        for (const stream of ['stdout', 'stderr'] as const) {
          if (paths[stream] === '') continue;
          const opened = openOutput(paths[stream], stream);
          result[stream] = opened.fd;
          if (opened.keptReader !== undefined) kept.push(opened.keptReader);
          if (opened.heldWriter !== undefined) heldWriters.push(opened.heldWriter);
        }
      }
    } catch (error) {
      closeAll([...kept, ...heldWriters, result.stdin, result.stdout, result.stderr]);
      throw error;
    }
    let closed = false;
    return {
      ...result,
      drainOutput: async (instanceDrained) => {
        if (!instanceDrained && !closed) await waitUntilPipesDrained(heldWriters, Date.now() + OUTPUT_DRAIN_TIMEOUT_MS);
      },
      close: async () => {
        if (closed) return;
        closed = true;
        closeAll([...kept.splice(0), ...heldWriters.splice(0)]);
        await stopLogger?.();
      },
    };
  }
}

function openStdin(uri: string): number {
  const scheme = schemeOf(uri);
  if (scheme !== undefined && scheme !== 'file') {
    throw new InvalidArgumentError(`stdin ${uri}: the ${scheme}:// scheme is not a source of input; give a FIFO or file path`);
  }
  const file = scheme === 'file' ? fileUriPath(uri) : uri;
  // A FIFO is opened without blocking; the guest then waits (suspended) for the client's writer.
  return open(file, isFifo(file) ? O_RDONLY | O_NONBLOCK : O_RDONLY, 'stdin');
}

function openOutput(uri: string, stream: 'stdout' | 'stderr'): { fd: number; keptReader?: number; heldWriter?: number } {
  const scheme = schemeOf(uri);
  if (scheme === 'file') return { fd: open(fileUriPath(uri), O_WRONLY | O_APPEND | O_CREAT, stream) };
  if (scheme !== undefined) {
    throw new InvalidArgumentError(`${stream} ${uri}: unknown stdio scheme ${scheme}://; use a FIFO or file path, file:// or binary://`);
  }
  if (!isFifo(uri)) return { fd: open(uri, O_WRONLY | O_APPEND | O_CREAT, stream) };
  const keptReader = open(uri, O_RDONLY | O_NONBLOCK, stream);
  const opened: number[] = [keptReader];
  try {
    const fd = open(uri, O_WRONLY | O_NONBLOCK, stream);
    opened.push(fd);
    return { fd, keptReader, heldWriter: open(uri, O_WRONLY | O_NONBLOCK, stream) };
  } catch (error) {
    closeAll(opened);
    throw error;
  }
}
