import { Session } from 'node:inspector';
import { InternalError } from '../errors.js';

/** How long a worker may take to answer an inspector command; a paused or busy isolate answers within ms. */
const COMMAND_TIMEOUT_MS = 5_000;

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

type EventListener = (method: string, params: unknown) => void;

/**
 * The daemon's inspector session, reaching into guest worker threads
 * (NodeWorker domain). V8 serves a worker's inspector commands through an
 * interrupt, so they are answered even while the guest runs a tight wasm loop
 * that never yields: that is how a guest is paused (Debugger.pause) and how
 * its memory is read (Runtime.evaluate) at any moment.
 */
export class WorkerInspector {
  private session: Session | undefined;
  private enabling: Promise<void> | undefined;
  /** Node thread id (worker.threadId) → inspector session id. */
  private readonly sessions = new Map<string, string>();
  private readonly attachWaiters = new Map<string, (sessionId: string) => void>();
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<string, EventListener>();
  private nextId = 1;

  /** Sends `method` into the worker's isolate and resolves with its result. */
  async send(threadId: number, method: string, params: object = {}, timeoutMs = COMMAND_TIMEOUT_MS): Promise<unknown> {
    const sessionId = await this.sessionOf(String(threadId));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new InternalError(`worker ${threadId} did not answer ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      this.pending.set(id, { resolve, reject, timer });
      this.session!.post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id, method, params }) });
    });
  }

  /** Sends without waiting for the answer (which may come only much later). */
  async post(threadId: number, method: string, params: object = {}): Promise<void> {
    const sessionId = await this.sessionOf(String(threadId));
    const id = this.nextId++;
    this.session!.post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id, method, params }) });
  }

  /** Receives the worker's inspector events (e.g. Debugger.paused); one listener per worker. */
  listen(threadId: number, listener: EventListener | undefined): void {
    if (listener === undefined) this.listeners.delete(String(threadId));
    else this.listeners.set(String(threadId), listener);
  }

  /** Forgets a worker that has ended. */
  forget(threadId: number): void {
    this.sessions.delete(String(threadId));
    this.listeners.delete(String(threadId));
  }

  private async sessionOf(workerId: string): Promise<string> {
    await this.enable();
    const known = this.sessions.get(workerId);
    if (known !== undefined) return known;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.attachWaiters.delete(workerId);
        reject(new InternalError(`the inspector never attached to worker ${workerId}`));
      }, COMMAND_TIMEOUT_MS);
      this.attachWaiters.set(workerId, (sessionId) => {
        clearTimeout(timer);
        resolve(sessionId);
      });
    });
  }

  private enable(): Promise<void> {
    this.enabling ??= new Promise<void>((resolve, reject) => {
      const session = new Session();
      session.connect();
      session.on('NodeWorker.attachedToWorker', ({ params }) => {
        // The inspector's workerId is its own counter; the title names the thread: "[worker <threadId>] …".
        const workerId = /^\[worker (\d+)\]/.exec(params.workerInfo.title)?.[1];
        if (workerId === undefined) return;
        this.sessions.set(workerId, params.sessionId);
        this.attachWaiters.get(workerId)?.(params.sessionId);
        this.attachWaiters.delete(workerId);
      });
      session.on('NodeWorker.detachedFromWorker', ({ params }) => {
        for (const [workerId, sessionId] of this.sessions) {
          if (sessionId === params.sessionId) this.sessions.delete(workerId);
        }
      });
      session.on('NodeWorker.receivedMessageFromWorker', ({ params }) => this.onMessage(params.sessionId, params.message));
      this.session = session;
      // Attaches to every worker, present and future; none waits for a debugger to start.
      session.post('NodeWorker.enable', { waitForDebuggerOnStart: false }, (error) => (error ? reject(error) : resolve()));
    });
    return this.enabling;
  }

  private onMessage(sessionId: string, text: string): void {
    const message = JSON.parse(text) as { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: unknown };
    if (message.id !== undefined) {
      const pending = this.pending.get(message.id);
      if (pending === undefined) return;
      this.pending.delete(message.id);
      clearTimeout(pending.timer);
      if (message.error !== undefined) pending.reject(new InternalError(`inspector: ${message.error.message}`));
      else pending.resolve(message.result);
      return;
    }
    if (message.method === undefined || message.method === 'Debugger.scriptParsed') return;
    for (const [workerId, id] of this.sessions) {
      if (id === sessionId) this.listeners.get(workerId)?.(message.method, message.params);
    }
  }
}
