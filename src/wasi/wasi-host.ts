import fs from 'node:fs';
import type { Descriptor } from './descriptor.js';
import { DirectoryDescriptor } from './directory-descriptor.js';
import { environmentCalls } from './environment-calls.js';
import { errnoOf } from './errno.js';
import { ProcExit, TRAP_EXIT_CODE, describeTrap } from './exit.js';
import { fdCalls } from './fd-calls.js';
import { FdTable } from './fd-table.js';
import type { HostContext, HostFunction, ImportTable } from './host-context.js';
import { jspiAvailable, promising, suspending } from './jspi.js';
import { MemoryView, encodeUtf8 } from './memory-view.js';
import { pathCalls } from './path-calls.js';
import { pollCalls } from './poll.js';
import { SIGNATURES, type ValueType, resultsOf } from './signatures.js';
import { type HandedSocket, wrapSocket } from './socket-calls.js';
import { TcpSocketDescriptor } from './tcp-socket.js';
import type { TcpListener } from './tcp-listener.js';
import { WASMEDGE_SOCKET_SIGNATURES, networkCalls } from './wasmedge-sockets.js';
import { StreamDescriptor } from './stream-descriptor.js';
import { openStdio } from './stdio.js';
import { openPreopen, readInside, type PreopenSpec } from './preopen.js';
import { openWatcher, waitUntilWatchedPipesDrained } from './pipe-drain.js';
import { settledBy } from '../deadline.js';
import { FailedPreconditionError, InvalidArgumentError } from '../errors.js';

export const WASI_MODULE = 'wasi_snapshot_preview1';

export type { PreopenSpec } from './preopen.js';

export interface WasiHostOptions {
  /** argv, argv[0] included. */
  args: string[];
  /** "KEY=value" strings. */
  env: string[];
  /** Directories the guest may use, fds 3, 4, ... in this order; the first is usually '/' (the rootfs). */
  preopens: PreopenSpec[];
  /** Host fds handed over as stdio; the host owns and closes them. Undefined behaves like /dev/null. */
  stdin?: number;
  stdout?: number;
  stderr?: number;
  /** Sockets handed over (owned, like stdio), placed after the preopens. */
  sockets?: HandedSocket[];
  /** Listening TCP sockets opened for the guest (listenTcp, the --tcplisten style), placed after `sockets`. */
  listeners?: TcpListener[];
  /**
   * The guest's working directory. Preview 1 has no call that reports one
   * (wasi-libc starts at '/' and resolves relative paths against preopens
   * itself), so this is accepted for the embedder's convenience and unused.
   */
  cwd?: string;
  /**
   * The stdio pipes lead to a terminal the embedder emulates (ctr run -t): they
   * report a character device, so the guest's isatty() is true.
   */
  terminal?: boolean;
}

export interface ProvidedImport {
  module: string;
  name: string;
  params: readonly ValueType[];
  results: readonly ValueType[];
}

const FACTORIES = [environmentCalls, fdCalls, pathCalls, pollCalls, networkCalls];

/**
 * The wasi_snapshot_preview1 host of one instance, meant to run in its own
 * worker thread. Calls that can wait suspend the guest through JSPI, so the
 * thread's event loop keeps running and worker.terminate() works in any state.
 */
export class WasiHost {
  readonly #memory = new MemoryView();
  readonly #fds = new FdTable();
  readonly #context: HostContext;
  readonly #stdout: Descriptor;
  readonly #stderr: Descriptor;

  #stdin: Descriptor | undefined;
  #started = false;
  /** The preopen that is the guest's `/`, for the host's own reads (its /etc/hosts, /etc/resolv.conf). */
  #root: DirectoryDescriptor | undefined;

  constructor(options: WasiHostOptions) {
    if (!jspiAvailable()) {
      throw new FailedPreconditionError('WebAssembly JSPI (WebAssembly.Suspending) is missing; run on Node 24 or later');
    }
    // The guest sees exactly the environment it was given: nothing is added.
    const env = [...options.env];
    this.#context = {
      memory: this.#memory,
      fds: this.#fds,
      args: options.args.map((a) => encodeUtf8(`${a}\0`)),
      env: env.map((e) => encodeUtf8(`${e}\0`)),
      readGuestFile: (guestPath) => (this.#root === undefined ? undefined : readInside(this.#root, guestPath)),
    };
    try {
      const terminal = options.terminal === true;
      this.#stdin = openStdio(options.stdin, 'read', terminal);
      this.#fds.set(0, this.#stdin);
      this.#stdout = openStdio(options.stdout, 'write', terminal);
      this.#fds.set(1, this.#stdout);
      this.#stderr = openStdio(options.stderr, 'write', terminal);
      this.#fds.set(2, this.#stderr);

      for (const preopen of options.preopens) {
        const opened = openPreopen(preopen);
        this.#fds.add(opened);
        if (preopen.guestPath === '/') this.#root ??= opened;
      }
      for (const socket of options.sockets ?? []) this.#fds.add(wrapSocket(socket));
      for (const listener of options.listeners ?? []) this.#fds.add(TcpSocketDescriptor.listening(listener, listener.family));
    } catch (error) {
      void this.#fds.closeAll();
      throw error;
    }
  }

  /** The imports for WebAssembly.instantiate; those that may wait are WebAssembly.Suspending. */
  importObject(): WebAssembly.Imports {
    const table: Record<string, WebAssembly.ImportValue> = {};
    for (const factory of FACTORIES) {
      const { immediate, waiting } = factory(this.#context);
      for (const [name, fn] of Object.entries(immediate)) table[name] = immediateImport(fn) as WebAssembly.ImportValue;
      for (const [name, fn] of Object.entries(waiting)) table[name] = suspending(waitingImport(fn)) as WebAssembly.ImportValue;
    }
    return { [WASI_MODULE]: table };
  }

  /**
   * Every import this host provides with its wasm type, so an embedder can
   * name a missing or mistyped import (WebAssembly.Module.imports) before
   * instantiating.
   */
  static providedImports(): ProvidedImport[] {
    const standard = Object.entries(SIGNATURES).map(([name, params]) => ({ module: WASI_MODULE, name, params, results: resultsOf(name) }));
    // WasmEdge's socket extension lives in the same module; sock_accept & co. have two forms there.
    const extension = WASMEDGE_SOCKET_SIGNATURES.filter((s) => SIGNATURES[s.name]?.length !== s.params.length);
    return [...standard, ...extension.map(({ name, params }) => ({ module: WASI_MODULE, name, params, results: resultsOf(name) }))];
  }

  /**
   * Runs `_start` and resolves to the exit status: the code given to
   * proc_exit, 0 when `_start` returns, 134 after a trap (whose message is
   * written to the guest's stderr).
   */
  async start(instance: WebAssembly.Instance): Promise<number> {
    if (this.#started) throw new FailedPreconditionError('this WasiHost has already started an instance');
    this.#started = true;
    const { memory, _start: entry } = instance.exports;
    if (!(memory instanceof WebAssembly.Memory)) {
      throw new InvalidArgumentError('the module exports no memory named "memory"; it is not a WASI command');
    }
    if (typeof entry !== 'function') {
      throw new InvalidArgumentError('the module exports no _start function; only WASI commands can run');
    }
    this.#memory.attach(memory);
    try {
      await promising(entry as () => unknown)();
      return 0;
    } catch (error) {
      if (error instanceof ProcExit) return error.code;
      await this.#report(describeTrap(error));
      return TRAP_EXIT_CODE;
    }
  }

  /** Ends the guest's stdin as its writer closing would (CloseIO): buffered bytes, then end of file. */
  closeStdin(): void {
    if (this.#stdin instanceof StreamDescriptor) this.#stdin.endInput();
  }

  /** Writes a line for whoever reads the guest's stderr (why the embedder ended it); call before close(). */
  async writeStderr(text: string): Promise<void> {
    await this.#report(text);
  }

  /**
   * Waits until what the guest wrote to its stdout and stderr has been taken by
   * their readers, or until `deadline` (ms since the epoch): every write is in
   * its fd already (see StreamDescriptor), and a pipe's reader may still be
   * behind (see pipe-drain.ts). Call after the guest ended, before close().
   */
  async drainOutput(deadline: number): Promise<void> {
    const watchers: number[] = [];
    try {
      for (const output of new Set([this.#stdout, this.#stderr])) {
        // Nothing written, nothing of ours in the pipe: no need to wait.
        if (!(output instanceof StreamDescriptor) || !output.hasWritten) continue;
        if (!(await settledBy(output.flushed(), deadline))) continue;
        // A guest that closed its stdout itself (gzip does) left a watcher behind (see close()).
        const watcher = output.isOpen ? openWatcher(output.hostFd) : output.takeWatcher();
        if (watcher !== undefined) watchers.push(watcher);
      }
      await waitUntilWatchedPipesDrained(watchers, deadline);
    } finally {
      for (const fd of watchers) fs.closeSync(fd);
    }
  }

  /** Closes every fd (output included: its readers see end of file). */
  async close(): Promise<void> {
    await this.#fds.closeAll();
    for (const output of [this.#stdout, this.#stderr]) {
      const watcher = output instanceof StreamDescriptor ? output.takeWatcher() : undefined;
      if (watcher !== undefined) fs.closeSync(watcher);
    }
  }

  async #report(text: string): Promise<void> {
    try {
      // A reader that takes nothing must not keep the exit from being reported.
      await settledBy(Promise.resolve(this.#stderr.write([Buffer.from(text)])), Date.now() + REPORT_TIMEOUT_MS);
    } catch {
      // stderr is gone; the exit status still tells the story
    }
  }
}

/** How long a line the host writes on the guest's stderr (trap, out of memory) may wait for room. */
const REPORT_TIMEOUT_MS = 2_000;

/** i32 arguments arrive signed; every preview 1 i32 is unsigned. */
function unsigned(args: unknown[]): unknown[] {
  return args.map((a) => (typeof a === 'number' ? a >>> 0 : a));
}

/** An errno for a host error; ProcExit and host bugs propagate (the latter as a trap). */
function errnoFor(error: unknown): number {
  if (error instanceof ProcExit) throw error;
  const errno = errnoOf(error);
  if (errno === undefined) throw error;
  return errno;
}

function immediateImport(fn: HostFunction): (...args: unknown[]) => number {
  return (...args) => {
    try {
      return fn(...unsigned(args)) as number;
    } catch (error) {
      return errnoFor(error);
    }
  };
}

function waitingImport(fn: HostFunction): (...args: unknown[]) => number | Promise<number> {
  return (...args) => {
    try {
      const result = fn(...unsigned(args));
      return result instanceof Promise ? result.catch(errnoFor) : result;
    } catch (error) {
      return errnoFor(error);
    }
  };
}
