/**
 * Entry of a guest's worker thread: boots ahead of need (the pool keeps one
 * spare), then instantiates and runs one guest at a time on our WASI host.
 * Once a guest has ended and its fds are closed, the thread forgets it and may
 * be handed the next guest (booting a thread costs far more than the guest).
 */
import { readlinkSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { GuestMemory, OUT_OF_MEMORY_STATUS } from './guest-memory.js';
import { forgetFileTimes, TRAP_EXIT_CODE, WasiHost } from '../wasi/index.js';
import { preparePipeProbe } from '../wasi/pipe-drain.js';
import { settledBy } from '../deadline.js';
import { type ErrorCode, ResourceExhaustedError, WasmtsError } from '../errors.js';
import { openListeners } from './tcp-listeners.js';
import { CLOSE_TIMEOUT_MS, OUTPUT_DRAIN_TIMEOUT_MS, type FromWorker, type ToWorker } from './worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('worker-main must run in a worker thread');

function send(message: FromWorker): void {
  port!.postMessage(message);
}

/** This thread's id on the host (/proc/thread-self → "<pid>/task/<tid>"): what `ps -eLf` shows. */
function threadId(): number {
  const link = readlinkSync('/proc/thread-self');
  return Number(link.slice(link.lastIndexOf('/') + 1));
}

let host: WasiHost | undefined;
let memory: GuestMemory | undefined;
let instance: WebAssembly.Instance | undefined;

port.on('message', (message: ToWorker) => {
  void handle(message);
});

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case 'prepare': {
      try {
        const { config } = message;
        const listeners = await openListeners(config.tcpListen ?? []);
        host = new WasiHost({
          args: config.args,
          env: config.env,
          cwd: config.cwd,
          preopens: [{ guestPath: '/', hostPath: config.rootfsPath, readOnly: config.rootReadOnly === true, mounts: config.mounts ?? [] }],
          ...(config.stdin !== undefined ? { stdin: config.stdin } : {}),
          ...(config.stdout !== undefined ? { stdout: config.stdout } : {}),
          ...(config.stderr !== undefined ? { stderr: config.stderr } : {}),
          ...(config.terminal === true ? { terminal: true } : {}),
          ...(listeners.length > 0 ? { listeners } : {}),
        });
        instance = await WebAssembly.instantiate(message.module, host.importObject());
        memory = new GuestMemory(instance);
        const tooBig = memory.checkStartsWithin(config.memoryLimitBytes);
        if (tooBig !== undefined) throw new ResourceExhaustedError(tooBig);
        memory.expose();
        send({ type: 'prepared' });
      } catch (error) {
        send({ type: 'failed', message: error instanceof Error ? error.message : String(error), code: kindOf(error) });
      }
      return;
    }
    case 'ping': {
      send({ type: 'pong' });
      return;
    }
    case 'close-stdin': {
      host?.closeStdin();
      return;
    }
    case 'start': {
      if (host === undefined || instance === undefined) {
        send({ type: 'failed', message: 'start before prepare', code: 'ERR_FAILED_PRECONDITION' });
        return;
      }
      send({ type: 'started' });
      let exitStatus = await host.start(instance);
      const outOfMemory = memory?.ranOutOf(exitStatus, TRAP_EXIT_CODE) === true;
      if (outOfMemory) {
        exitStatus = OUT_OF_MEMORY_STATUS;
        await host.writeStderr(`wasmts: out of memory: the guest reached its memory limit of ${memory!.describeLimit()} (memory.grow refused) and ended\n`);
      }
      // The status is decided; the exit is reported (by 'exit') only once the output has
      // reached its readers, so a client that stops reading when Wait returns misses nothing.
      send({ type: 'ended', exitStatus, outOfMemory, growRefused: memory?.growRefused ?? 0 });
      await host.drainOutput(Date.now() + OUTPUT_DRAIN_TIMEOUT_MS);
      const closed = await settledBy(host.close(), Date.now() + CLOSE_TIMEOUT_MS);
      forget();
      send({ type: 'exit', reusable: closed });
      return;
    }
  }
}

/** Drops every trace of the guest that ran, so that the thread can take another. */
function forget(): void {
  host = undefined;
  instance = undefined;
  memory = undefined;
  GuestMemory.unexpose();
  forgetFileTimes();
}

/** What kind of failure an error is, for the daemon: ours keep theirs; the engine refusing the module is bad input. */
function kindOf(error: unknown): ErrorCode {
  if (error instanceof WasmtsError) return error.code;
  if (error instanceof WebAssembly.LinkError || error instanceof WebAssembly.CompileError || error instanceof WebAssembly.RuntimeError) return 'ERR_INVALID_ARGUMENT';
  return 'ERR_INTERNAL';
}

send({ type: 'booted', tid: threadId() });
// Off the exit's path: the output drain's probe is ready before any guest ends.
void preparePipeProbe().catch(() => {});
