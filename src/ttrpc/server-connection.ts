import type { Socket } from 'node:net';
import { Flag, MAX_MESSAGE_LENGTH, MessageType } from './constants.js';
import type { DecodedFrame } from './frame.js';
import { FrameDecoder } from './frame-decoder.js';
import { isDisconnectError, writeFrame } from './frame-writer.js';
import { decodeRequest, encodeResponse, type KeyValue, type Request, type Status } from './messages.js';
import type { RequestContext, ServiceRegistry } from './service-registry.js';
import { StatusCode, TtrpcStatusError } from './status-code.js';

/** Where a server-side error happened, for the optional onError hook. */
export interface ServerErrorDetail {
  streamId?: number;
  service?: string;
  method?: string;
}

export type ServerErrorHook = (error: Error, detail: ServerErrorDetail) => void;

/**
 * One accepted connection: decodes request frames, dispatches each request
 * concurrently (a Wait that never returns must not hold up a State), and writes
 * each response as one whole frame. Stream ids must be odd and increasing.
 */
export class ServerConnection {
  readonly #socket: Socket;
  readonly #services: ServiceRegistry;
  readonly #onError: ServerErrorHook | undefined;
  readonly #decoder = new FrameDecoder();
  readonly #abort = new AbortController();
  #lastStreamId = 0;

  /** Resolves once the socket has closed. */
  readonly closed: Promise<void>;

  constructor(socket: Socket, services: ServiceRegistry, onError?: ServerErrorHook) {
    this.#socket = socket;
    this.#services = services;
    this.#onError = onError;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (error) => {
      if (!isDisconnectError(error)) this.#report(error, {});
    });
    socket.once('close', () => this.#abort.abort(new Error('ttrpc connection closed')));
  }

  /** Ends the connection after flushing queued responses; in-flight handlers see their signal abort. */
  end(): void {
    this.#abort.abort(new Error('ttrpc server shutting down'));
    if (this.#socket.destroyed) return;
    this.#socket.end(() => this.#socket.destroy());
  }

  #onData(chunk: Buffer): void {
    let frames: DecodedFrame[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (error) {
      this.#report(toError(error), {});
      this.#socket.destroy();
      return;
    }
    for (const frame of frames) this.#onFrame(frame);
  }

  #onFrame(frame: DecodedFrame): void {
    // Responses and Data (streaming, unsupported) from a client are ignored, as are unknown types.
    if (frame.type !== MessageType.REQUEST) return;
    const { streamId } = frame;
    if (frame.kind === 'oversize') {
      this.#sendStatus(streamId, StatusCode.RESOURCE_EXHAUSTED,
        `request of ${frame.length} bytes exceeds the maximum message size of ${MAX_MESSAGE_LENGTH}`);
      return;
    }
    if (streamId % 2 !== 1) {
      this.#sendStatus(streamId, StatusCode.INVALID_ARGUMENT,
        `stream id ${streamId} is even; client-initiated streams must use odd ids`);
      return;
    }
    if (streamId <= this.#lastStreamId) {
      this.#sendStatus(streamId, StatusCode.INVALID_ARGUMENT,
        `stream id ${streamId} cannot be reused; ids must increase (last was ${this.#lastStreamId})`);
      return;
    }
    this.#lastStreamId = streamId;
    if ((frame.flags & Flag.REMOTE_OPEN) !== 0) {
      this.#sendStatus(streamId, StatusCode.UNIMPLEMENTED, 'streaming requests are not supported');
      return;
    }
    let request: Request;
    try {
      request = decodeRequest(frame.data);
    } catch (error) {
      this.#sendStatus(streamId, StatusCode.INVALID_ARGUMENT, `unmarshal request: ${toError(error).message}`);
      return;
    }
    void this.#dispatch(streamId, request);
  }

  async #dispatch(streamId: number, request: Request): Promise<void> {
    const { service, method } = request;
    const context: RequestContext = {
      service,
      method,
      metadata: metadataMap(request.metadata),
      timeoutNano: request.timeoutNano,
      signal: this.#abort.signal,
    };
    let payload: Uint8Array;
    try {
      const handler = this.#services.resolve(service, method);
      payload = await handler(request.payload, context);
      if (!(payload instanceof Uint8Array)) {
        throw new TypeError(`handler for ${service}/${method} resolved to ${typeof payload}, not a Uint8Array`);
      }
    } catch (error) {
      if (error instanceof TtrpcStatusError) {
        this.#sendStatus(streamId, error.code, error.message);
      } else {
        const err = toError(error);
        this.#report(err, { streamId, service, method });
        this.#sendStatus(streamId, StatusCode.UNKNOWN, err.message);
      }
      return;
    }
    const body = encodeResponse({ payload });
    if (body.length > MAX_MESSAGE_LENGTH) {
      this.#sendStatus(streamId, StatusCode.RESOURCE_EXHAUSTED,
        `response to ${service}/${method} is ${body.length} bytes, over the maximum message size of ${MAX_MESSAGE_LENGTH}`);
      return;
    }
    this.#send(streamId, body);
  }

  #sendStatus(streamId: number, code: number, message: string): void {
    const status: Status = { code, message, details: [] };
    this.#send(streamId, encodeResponse({ status, payload: new Uint8Array(0) }));
  }

  #send(streamId: number, data: Uint8Array): void {
    writeFrame(this.#socket, { streamId, type: MessageType.RESPONSE, flags: 0, data });
  }

  #report(error: Error, detail: ServerErrorDetail): void {
    try {
      this.#onError?.(error, detail);
    } catch {
      // A failing log hook must not take the connection down.
    }
  }
}

function metadataMap(pairs: KeyValue[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const { key, value } of pairs) {
    const values = map.get(key);
    if (values === undefined) map.set(key, [value]);
    else values.push(value);
  }
  return map;
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
