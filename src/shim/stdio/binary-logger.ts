import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { InternalError, InvalidArgumentError } from '../../errors.js';
import { createFifoPair, type FifoPair } from './fifo-pair.js';

/** How long a logger may take to say it is ready (it writes to, or closes, fd 5). */
const READY_TIMEOUT_MS = 10_000;
/** After its pipes close, a logger gets this long to drain and exit by itself before SIGTERM. */
const DRAIN_GRACE_MS = 2_000;
/** After SIGTERM, this long before SIGKILL (containerd's runc shim waits about as long). */
const TERM_GRACE_MS = 12_000;

export interface BinaryLoggerSpec {
  command: string;
  args: string[];
}

/**
 * Parses `binary:///abs/path?k=v&flag` (containerd's shim protocol, stdio
 * "binary" scheme): the query becomes the argument list `k v flag`, in order.
 */
export function parseBinaryUri(uri: string): BinaryLoggerSpec {
  const url = new URL(uri);
  if (url.host !== '' || !url.pathname.startsWith('/')) {
    throw new InvalidArgumentError(`stdio ${uri}: a binary:// logger needs an absolute path, as in binary:///usr/bin/logger`);
  }
  const args: string[] = [];
  for (const [key, value] of url.searchParams) {
    args.push(key);
    if (value !== '') args.push(value);
  }
  return { command: decodeURIComponent(url.pathname), args };
}

export interface BinaryLogger {
  /** Where the guest writes stdout and stderr. */
  stdoutFd: number;
  stderrFd: number;
  /** Waits for the logger to drain and exit after the guest's ends closed (TERM, then KILL, if it lingers). */
  stop(): Promise<void>;
}

/**
 * Starts a logging binary the way containerd's runc shim does: fd 3 reads the
 * process's stdout, fd 4 its stderr, fd 5 is a pipe the logger writes to or
 * closes once ready; its environment is CONTAINER_ID and CONTAINER_NAMESPACE.
 */
export async function startBinaryLogger(uri: string, owner: { containerId: string; namespace: string }): Promise<BinaryLogger> {
  const spec = parseBinaryUri(uri);
  const pipes: FifoPair[] = [];
  let child: ChildProcess | undefined;
  try {
    pipes.push(await createFifoPair(), await createFifoPair());
    const [out, err] = pipes as [FifoPair, FifoPair];
    child = spawn(spec.command, spec.args, {
      stdio: ['ignore', 'ignore', 'ignore', out.readFd, err.readFd, 'pipe'],
      env: { CONTAINER_ID: owner.containerId, CONTAINER_NAMESPACE: owner.namespace },
    });
    // The child has its own copies of the read ends now.
    closeSync(out.readFd);
    closeSync(err.readFd);
    await waitReady(child, spec.command);
    const exited = new Promise<void>((resolve) => {
      if (child!.exitCode !== null || child!.signalCode !== null) resolve();
      else child!.once('exit', () => resolve());
    });
    const running = child;
    return {
      stdoutFd: out.writeFd,
      stderrFd: err.writeFd,
      stop: () => stopLogger(running, exited),
    };
  } catch (error) {
    child?.kill('SIGKILL');
    for (const pair of pipes) {
      for (const fd of [pair.readFd, pair.writeFd]) {
        try {
          closeSync(fd);
        } catch {
          // already closed
        }
      }
    }
    throw error instanceof InternalError || error instanceof InvalidArgumentError
      ? error
      : new InternalError(`start the logging binary ${spec.command}`, { cause: error });
  }
}

function waitReady(child: ChildProcess, command: string): Promise<void> {
  const ready = (child.stdio as unknown as Readable[])[5]!;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new InternalError(`logging binary ${command} did not get ready within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    const done = () => {
      clearTimeout(timer);
      ready.destroy();
      resolve();
    };
    const fail = (error: Error) => {
      clearTimeout(timer);
      ready.destroy();
      reject(error);
    };
    child.once('error', (cause) => fail(new InternalError(`cannot run the logging binary ${command}`, { cause })));
    child.once('exit', (code, signal) => {
      // A logger that exits at once may still have said "ready" first; otherwise it failed.
      if (code === 0 && ready.readableEnded) done();
      else fail(new InternalError(`logging binary ${command} exited (${signal ?? `status ${code}`}) before it was ready`));
    });
    ready.once('data', done);
    ready.once('end', done);
    ready.resume();
  });
}

async function stopLogger(child: ChildProcess, exited: Promise<void>): Promise<void> {
  const within = (ms: number) =>
    Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);
  if (await within(DRAIN_GRACE_MS)) return;
  child.kill('SIGTERM');
  if (await within(TERM_GRACE_MS)) return;
  child.kill('SIGKILL');
  await exited;
}
