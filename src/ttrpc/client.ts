import { createConnection, type Socket } from 'node:net';
import { TtrpcClosedError } from './closed-error.js';
import { MAX_MESSAGE_LENGTH, MAX_STREAM_ID, MessageType } from './constants.js';
import type { DecodedFrame } from './frame.js';
import { FrameDecoder } from './frame-decoder.js';
import { writeFrame } from './frame-writer.js';
import { decodeResponse, encodeRequest, type KeyValue, type Response } from './messages.js';
import { StatusCode, TtrpcStatusError } from './status-code.js';

export interface CallOptions {
  /** Reject with DEADLINE_EXCEEDED after this long; also sent to the server as timeout_nano. */
  timeoutMs?: number;
  /** Request metadata; an array value sends the key once per element. */
  metadata?: Record<string, string | string[]>;
  /** Aborting rejects the call with CANCELLED (ttrpc has no cancel frame; a late answer is dropped). */
  signal?: AbortSignal;
}

interface PendingCall {
  resolve: (payload: Uint8Array) => void;
  reject: (error: Error) => void;
  label: string;
}

/**
 * A ttrpc client on one connection. Calls use odd stream ids from 1 upwards,
 * any number may be in flight, and answers are matched by stream id.
 * When the socket closes every pending call rejects with TtrpcClosedError
 * (`code` 'ERR_TTRPC_CLOSED') and `closed` resolves, so callers can reconnect.
 */
export class TtrpcClient {
  readonly #socket: Socket;
  readonly #address: string;
  readonly #decoder = new FrameDecoder();
  readonly #pending = new Map<number, PendingCall>();
  #nextStreamId = 1;
  #isClosed = false;
  #socketError: Error | undefined;

  /** Resolves once the connection has closed, for whatever reason. */
  readonly closed: Promise<void>;

  /** Connects to a unix socket, given as `unix:///path` or a bare path. */
  static connect(address: string): Promise<TtrpcClient> {
    const path = address.startsWith('unix://') ? address.slice('unix://'.length) : address;
    return new Promise((resolve, reject) => {
      const socket = createConnection({ path });
      const onError = (error: Error): void => {
        reject(new TtrpcClosedError(`cannot connect to ttrpc server at ${address}: ${error.message}`, { cause: error }));
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve(new TtrpcClient(socket, address));
      });
    });
  }

  /** Wraps a socket that is already connected. `address` only names it in error messages. */
  constructor(socket: Socket, address = 'ttrpc server') {
    this.#socket = socket;
    this.#address = address;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.#decoder.push(chunk)) this.#onFrame(frame);
    });
    socket.on('error', (error) => {
      this.#socketError ??= error;
    });
    socket.once('close', () => this.#onClose());
  }

  /** Calls `service/method` with an encoded request; resolves to the encoded response. */
  call(service: string, method: string, payload: Uint8Array, options: CallOptions = {}): Promise<Uint8Array> {
    const label = `${service}/${method}`;
    if (this.#isClosed || this.#socket.destroyed || !this.#socket.writable) {
      return Promise.reject(new TtrpcClosedError(`cannot call ${label}: the ttrpc connection to ${this.#address} is closed`));
    }
    if (options.signal?.aborted) {
      return Promise.reject(new TtrpcStatusError(StatusCode.CANCELLED, `${label} cancelled before it was sent`));
    }
    const { timeoutMs } = options;
    const body = encodeRequest({
      service,
      method,
      payload,
      timeoutNano: timeoutMs === undefined ? 0n : BigInt(Math.max(1, Math.round(timeoutMs * 1e6))),
      metadata: metadataPairs(options.metadata),
    });
    if (body.length > MAX_MESSAGE_LENGTH) {
      return Promise.reject(new TtrpcStatusError(StatusCode.RESOURCE_EXHAUSTED,
        `request to ${label} is ${body.length} bytes, over the maximum message size of ${MAX_MESSAGE_LENGTH}`));
    }
    const streamId = this.#nextStreamId;
    if (streamId > MAX_STREAM_ID) {
      return Promise.reject(new TtrpcClosedError(`ttrpc stream ids on ${this.#address} are used up; reconnect`));
    }
    this.#nextStreamId += 2;

    return new Promise<Uint8Array>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => {
        settle(() => reject(new TtrpcStatusError(StatusCode.CANCELLED, `${label} cancelled`)));
      };
      const settle = (finish: () => void): void => {
        if (!this.#pending.delete(streamId)) return;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        finish();
      };
      this.#pending.set(streamId, {
        label,
        resolve: (value) => settle(() => resolve(value)),
        reject: (error) => settle(() => reject(error)),
      });
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          settle(() => reject(new TtrpcStatusError(StatusCode.DEADLINE_EXCEEDED,
            `${label} got no response within ${timeoutMs} ms`)));
        }, timeoutMs);
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });
      writeFrame(this.#socket, { streamId, type: MessageType.REQUEST, flags: 0, data: body });
    });
  }

  /** Closes the connection; pending calls reject with TtrpcClosedError. Resolves once closed. */
  close(): Promise<void> {
    this.#socket.destroy();
    return this.closed;
  }

  /** The number of calls waiting for an answer. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  #onFrame(frame: DecodedFrame): void {
    if (frame.type !== MessageType.RESPONSE) return;
    // An answer for a call that timed out, was cancelled or never existed is dropped.
    const call = this.#pending.get(frame.streamId);
    if (call === undefined) return;
    if (frame.kind === 'oversize') {
      call.reject(new TtrpcStatusError(StatusCode.RESOURCE_EXHAUSTED,
        `response to ${call.label} is ${frame.length} bytes, over the maximum message size of ${MAX_MESSAGE_LENGTH}`));
      return;
    }
    let response: Response;
    try {
      response = decodeResponse(frame.data);
    } catch (error) {
      call.reject(new TtrpcStatusError(StatusCode.INTERNAL,
        `cannot decode the response to ${call.label}: ${(error as Error).message}`, { cause: error }));
      return;
    }
    const status = response.status;
    if (status !== undefined && status.code !== StatusCode.OK) {
      call.reject(new TtrpcStatusError(status.code, status.message));
    } else {
      call.resolve(response.payload);
    }
  }

  #onClose(): void {
    this.#isClosed = true;
    const cause = this.#socketError;
    const reason = cause === undefined ? '' : `: ${cause.message}`;
    for (const call of [...this.#pending.values()]) {
      call.reject(new TtrpcClosedError(
        `the ttrpc connection to ${this.#address} closed before ${call.label} was answered${reason}`,
        cause === undefined ? undefined : { cause }));
    }
  }
}

function metadataPairs(metadata: Record<string, string | string[]> | undefined): KeyValue[] {
  if (metadata === undefined) return [];
  return Object.entries(metadata).flatMap(([key, value]) =>
    (Array.isArray(value) ? value : [value]).map((v) => ({ key, value: v })));
}
