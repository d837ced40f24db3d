import type { Logger } from '../../task/collaborators.js';
import type { EventSink, TaskEvent } from '../../task/events.js';
import { StatusCode, TtrpcClient, TtrpcStatusError } from '../../ttrpc/index.js';
import { forwardRequest } from './event-encoding.js';
import { socketFileOf } from '../cli/socket-address.js';

const EVENTS_SERVICE = 'containerd.services.events.ttrpc.v1.Events';
/** Metadata key containerd reads the namespace from (pkg/namespaces TTRPCHeader). */
const NAMESPACE_HEADER = 'containerd-namespace-ttrpc';
const FORWARD_TIMEOUT_MS = 5_000;
const RETRYABLE_CODES = new Set<number>([StatusCode.DEADLINE_EXCEEDED, StatusCode.UNAVAILABLE]);

export interface PublisherOptions {
  /** containerd's ttrpc socket (TTRPC_ADDRESS). */
  address: string;
  namespace: string;
  logger: Logger;
  /** Attempts per event before it is dropped; containerd may be restarting meanwhile. */
  maxAttempts?: number;
  /** Back-off before attempt n (1-based) is n × this. */
  retryDelayMs?: number;
  clock?: () => Date;
}

/**
 * Forwards task events to containerd in the order they were published: one
 * queue, one consumer. A failed Forward reconnects and retries with a growing
 * back-off, so events survive a containerd restart; later events wait their turn.
 */
export class EventPublisher implements EventSink {
  private readonly queue: { event: TaskEvent; at: Date }[] = [];
  private client: TtrpcClient | undefined;
  private draining: Promise<void> | undefined;
  private closed = false;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly clock: () => Date;

  constructor(private readonly options: PublisherOptions) {
    this.maxAttempts = options.maxAttempts ?? 10;
    this.retryDelayMs = options.retryDelayMs ?? 1_000;
    this.clock = options.clock ?? (() => new Date());
  }

  publish(event: TaskEvent): void {
    if (this.closed) return;
    this.queue.push({ event, at: this.clock() });
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
    });
  }

  /** Resolves once every event published so far was forwarded (or given up on). */
  async flush(): Promise<void> {
    while (this.draining !== undefined) await this.draining;
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    this.client?.close();
    this.client = undefined;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      await this.forward(next.event, next.at);
      this.queue.shift();
    }
  }

  private async forward(event: TaskEvent, at: Date): Promise<void> {
    const payload = forwardRequest(event, this.options.namespace, at);
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      // A connection made before a containerd restart fails on first use: redial at once, without back-off.
      const reused = this.client !== undefined;
      try {
        this.client ??= await TtrpcClient.connect(socketFileOf(this.options.address));
        await this.client.call(EVENTS_SERVICE, 'Forward', payload, {
          timeoutMs: FORWARD_TIMEOUT_MS,
          metadata: { [NAMESPACE_HEADER]: this.options.namespace },
        });
        this.options.logger.debug({ topic: event.topic }, 'event forwarded');
        return;
      } catch (error) {
        if (error instanceof TtrpcStatusError && !RETRYABLE_CODES.has(error.code)) {
          // containerd refused the event itself (e.g. a bad envelope): resending cannot help.
          this.options.logger.error({ topic: event.topic, err: error.message }, 'containerd refused an event');
          return;
        }
        this.client?.close();
        this.client = undefined;
        this.options.logger.warn({ topic: event.topic, attempt, err: String(error) }, 'forwarding an event failed');
        if (reused) {
          attempt--;
          continue;
        }
        if (attempt < this.maxAttempts) await new Promise((r) => setTimeout(r, this.retryDelayMs * attempt));
      }
    }
    this.options.logger.error({ topic: event.topic }, 'event dropped after repeated failures');
  }
}
