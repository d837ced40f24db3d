/**
 * The `start` front of a namespace's shared daemon. containerd runs the shim
 * binary's `start` for every container; booting Node for it costs about a
 * tenth of a second of CPU. While a shared daemon lives, the `sh` wrapper
 * (bin/containerd-shim-wasmts-v1) hands the `start` to it instead, with no
 * Node and as few programs of its own as it can (each costs a fork and exec):
 *
 * 1. it finds the front FIFO of its containerd and namespace (frontPath) and
 *    the daemon's pid beside it, alive;
 * 2. it makes a reply FIFO `wasmts-start-<its pid>` beside the front (and, only
 *    when containerd gave it any stdin, saves that as `<reply>.stdin`), and
 *    writes one line to the front: the reply FIFO, its cwd (the bundle),
 *    WASMTS_HOME, the stdin file or nothing, then its argv, separated by tabs;
 * 3. the daemon takes the request (renames the reply FIFO to `<reply>.taken`,
 *    so that a request the wrapper gave up on is never run as well), runs the
 *    same `start` as the binary would, and answers one line on the reply FIFO:
 *    `<status> <form> [text]`, status 0 or 1 (the text is then the error), form
 *    `L` (print the text and a newline), `T` (the text alone) or `F` (the
 *    output is in `<reply>.out`: it is binary or spans lines); or `stale` (the
 *    daemon runs other code than this installation's): the wrapper runs Node.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, constants, openSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describeError } from '../../errors.js';
import type { Logger } from '../../task/collaborators.js';
import { parseFlags } from '../cli/flags.js';
import { BINARY_NAME } from '../cli/version.js';
import { DEFAULT_SOCKET_DIR } from '../cli/socket-address.js';
import { ENTRY_SCRIPT } from '../../layout.js';

/** Longer front names are hashed (the `sh` wrapper hashes them with sha256sum). */
const MAX_FRONT_NAME = 200;

/**
 * The front FIFO of a containerd's namespace: its address with `%` and `/`
 * escaped, and the namespace; the `sh` wrapper computes the same name.
 */
export function frontPath(containerdAddress: string, namespace: string, socketDir = DEFAULT_SOCKET_DIR): string {
  const name = `wasmts-front-${containerdAddress.replaceAll('%', '%25').replaceAll('/', '%2F')}@${namespace}`;
  if (name.length <= MAX_FRONT_NAME) return path.join(socketDir, name);
  const key = createHash('sha256').update(`${containerdAddress}\n${namespace}`).digest('hex');
  return path.join(socketDir, `wasmts-front-${key}`);
}

/** A `start` answered for the wrapper: its output, and whether it failed. */
export type StartAnswer = { output: Uint8Array | string; failed: boolean };

/** Runs containerd's `start` for a request: flags from its argv, the bundle it ran in, what came on its stdin. */
export type StartRunner = (argv: string[], bundle: string, stdin: Uint8Array) => Promise<StartAnswer>;

const STALE = 'stale';

function mtimeOf(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

export class StartFront {
  private readonly fifo: string;
  private readonly pidFile: string;
  private readonly reader: net.Socket;
  /** The entry script this daemon runs, and its mtime when it booted. */
  private readonly entry: string;
  private readonly bootedMtime: number;
  private readonly run: StartRunner;
  private readonly logger: Logger;
  private closed = false;

  private constructor(fifo: string, reader: net.Socket, run: StartRunner, logger: Logger, entry: string) {
    this.entry = entry;
    this.bootedMtime = mtimeOf(entry);
    this.fifo = fifo;
    this.pidFile = `${fifo}.pid`;
    this.reader = reader;
    this.run = run;
    this.logger = logger;
  }

  /** Opens the front for a containerd's namespace (replacing one left by a dead daemon). */
  static open(file: string, run: StartRunner, logger: Logger, entry: string = ENTRY_SCRIPT): StartFront {
    rmSync(file, { force: true });
    execFileSync('mkfifo', ['-m', '600', file]);
    // Read and write: the FIFO never reports an end while this daemon holds it, and opening it never blocks.
    const fd = openSync(file, constants.O_RDWR | constants.O_NONBLOCK);
    const reader = new net.Socket({ fd, readable: true, writable: false });
    const front = new StartFront(file, reader, run, logger, entry);
    let pending = '';
    reader.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      let newline: number;
      while ((newline = pending.indexOf('\n')) !== -1) {
        const request = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        void front.answer(request);
      }
    });
    reader.on('error', (error) => logger.warn({ err: error.message, front: file }, 'start front failed'));
    const tmp = `${front.pidFile}.tmp`;
    writeFileSync(tmp, `${process.pid}\n`, { mode: 0o600 });
    renameSync(tmp, front.pidFile);
    return front;
  }

  /** Stops taking requests; the wrapper then runs Node. Leaves a successor's front alone. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    let owner = '';
    try {
      owner = readFileSync(this.pidFile, 'utf8').trim();
    } catch {
      // gone
    }
    if (owner === String(process.pid)) {
      rmSync(this.pidFile, { force: true });
      rmSync(this.fifo, { force: true });
    }
    this.reader.destroy();
  }

  private async answer(line: string): Promise<void> {
    const [reply = '', bundle = '', home = '', stdinFile = '', ...argv] = line.split('\t');
    if (this.closed || !path.isAbsolute(reply) || path.dirname(reply) !== path.dirname(this.fifo)) return;
    const taken = `${reply}.taken`;
    try {
      renameSync(reply, taken);
    } catch {
      return; // given up by the wrapper, or not a request
    }
    let answer: string;
    try {
      if (!this.sameInstallation(home)) {
        answer = STALE;
      } else {
        const stdin = stdinFile === '' ? new Uint8Array(0) : readFileSync(stdinFile);
        const result = await this.run(argv, bundle, stdin);
        answer = this.reply(reply, result);
      }
    } catch (error) {
      answer = this.reply(reply, { output: `${BINARY_NAME} start: ${describeError(error)}\n`, failed: true });
    }
    if (stdinFile !== '') rmSync(stdinFile, { force: true });
    try {
      const fd = openSync(taken, constants.O_WRONLY | constants.O_NONBLOCK);
      // Both ends are open now: the name can go, and the wrapper has nothing to remove.
      rmSync(taken, { force: true });
      writeSync(fd, `${answer}\n`);
      closeSync(fd);
    } catch (error) {
      rmSync(taken, { force: true });
      this.logger.warn({ err: (error as Error).message, request: reply }, 'cannot answer a start request');
    }
  }

  /** The answer line for a start's output: inline when it is one line of text, else in `<reply>.out`. */
  private reply(reply: string, result: StartAnswer): string {
    const status = result.failed ? '1' : '0';
    if (typeof result.output === 'string') {
      const body = result.output.endsWith('\n') ? result.output.slice(0, -1) : result.output;
      if (!body.includes('\n')) return `${status} ${body === result.output ? 'T' : 'L'} ${body}`;
    }
    writeFileSync(`${reply}.out`, result.output);
    return `${status} F`;
  }

  /** The wrapper belongs to the installation this daemon runs, unchanged since it booted. */
  private sameInstallation(home: string): boolean {
    try {
      return realpathSync(path.join(home.trim(), 'dist', 'main.js')) === realpathSync(this.entry) && mtimeOf(this.entry) === this.bootedMtime;
    } catch {
      return false;
    }
  }
}

/**
 * How long after a `start` that claimed the spare (or placed a cold daemon in a
 * pod) the next spare boots: its boot (a few hundred ms of CPU) would otherwise
 * compete with the rest of the container's start (Create and Start follow; for a
 * pod, its first container).
 */
const SPARE_DELAY_MS = 1_000;

/** The runner the front uses: the binary's own `start`, loaded once. */
export function startRunner(env: NodeJS.ProcessEnv): StartRunner {
  return async (argv, bundle, stdin) => {
    const flags = parseFlags(argv);
    if (flags.action !== 'start') return { output: `expected start, got ${JSON.stringify(flags.action)}\n`, failed: true };
    const { startAction } = await import('../cli/start-action.js');
    try {
      return { output: await startAction(flags, stdin, { bundle, env, spareDelayMs: SPARE_DELAY_MS }), failed: false };
    } catch (error) {
      return { output: `${BINARY_NAME} start: ${describeError(error)}\n`, failed: true };
    }
  };
}
