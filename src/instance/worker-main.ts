/**
 * Entry of a guest's worker thread: boots ahead of need (the pool keeps one
 * spare), then instantiates and runs exactly one guest on our WASI host.
 */
import { readlinkSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { parentPort } from 'node:worker_threads';
import { STATS_GLOBAL } from './guest-control.js';
import { WasiHost } from '../wasi/index.js';
import type { FromWorker, ToWorker } from './worker-protocol.js';

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

/** What the daemon reads through the inspector (Runtime.evaluate), even while the guest computes. */
function exposeStats(guest: WebAssembly.Instance): void {
  const memory = guest.exports.memory;
  (globalThis as Record<string, unknown>)[STATS_GLOBAL] = () => ({
    linearMemoryBytes: memory instanceof WebAssembly.Memory ? memory.buffer.byteLength : 0,
    engineHeapBytes: getHeapStatistics().total_heap_size,
  });
}

let host: WasiHost | undefined;
let instance: WebAssembly.Instance | undefined;

port.on('message', (message: ToWorker) => {
  void handle(message);
});

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case 'prepare': {
      try {
        const { config } = message;
        host = new WasiHost({
          args: config.args,
          env: config.env,
          cwd: config.cwd,
          preopens: [{ guestPath: '/', hostPath: config.rootfsPath }],
          ...(config.stdin !== undefined ? { stdin: config.stdin } : {}),
          ...(config.stdout !== undefined ? { stdout: config.stdout } : {}),
          ...(config.stderr !== undefined ? { stderr: config.stderr } : {}),
          ...(config.terminal === true ? { terminal: true } : {}),
        });
        instance = await WebAssembly.instantiate(message.module, host.importObject());
        exposeStats(instance);
        send({ type: 'prepared' });
      } catch (error) {
        send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
      }
      return;
    }
    case 'close-stdin': {
      host?.closeStdin();
      return;
    }
    case 'start': {
      if (host === undefined || instance === undefined) {
        send({ type: 'failed', message: 'start before prepare' });
        return;
      }
      send({ type: 'started' });
      const exitStatus = await host.start(instance);
      // Report the exit at once (as a process's exit is); output still in flight
      // drains after it, and the client reads it to EOF before deleting the task.
      send({ type: 'exit', exitStatus });
      await host.close();
      send({ type: 'flushed' });
      return;
    }
  }
}

send({ type: 'booted', tid: threadId() });
