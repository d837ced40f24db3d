/**
 * Calls on containerd's own gRPC API. gRPC is HTTP/2 with a small message
 * framing (PROTOCOL-HTTP2.md: a compressed flag, a 4-byte big-endian length,
 * the message), so Node's built-in HTTP/2 client on the unix socket is all it
 * takes; the messages are encoded by the generated codecs. One client is one
 * HTTP/2 connection: open it for a few calls, then close it.
 */
import http2 from 'node:http2';
import net from 'node:net';
import { errorOf, type ErrorCode, UnavailableError, WasmtsError } from '../../errors.js';

/** The compressed flag and the length in front of every message. */
const MESSAGE_PREFIX_LENGTH = 5;

/** gRPC status codes (grpc/doc/statuscodes.md) and what they are here. */
const GRPC_STATUS: Record<string, ErrorCode> = {
  '3': 'ERR_INVALID_ARGUMENT',
  '5': 'ERR_NOT_FOUND',
  '6': 'ERR_ALREADY_EXISTS',
  '8': 'ERR_RESOURCE_EXHAUSTED',
  '9': 'ERR_FAILED_PRECONDITION',
  '12': 'ERR_NOT_IMPLEMENTED',
  '14': 'ERR_UNAVAILABLE',
};

/** One length-prefixed message, uncompressed. */
export function frameMessage(message: Uint8Array): Uint8Array {
  const framed = new Uint8Array(MESSAGE_PREFIX_LENGTH + message.length);
  new DataView(framed.buffer).setUint32(1, message.length);
  framed.set(message, MESSAGE_PREFIX_LENGTH);
  return framed;
}

/** Splits a stream of length-prefixed messages as it arrives, whatever its chunking. */
export class MessageSplitter {
  private pending: Buffer = Buffer.alloc(0);

  /** The messages completed by `chunk`. */
  push(chunk: Buffer): Uint8Array[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const messages: Uint8Array[] = [];
    while (this.pending.length >= MESSAGE_PREFIX_LENGTH) {
      if (this.pending[0] !== 0) throw new Error('the answer is compressed');
      const length = this.pending.readUInt32BE(1);
      if (this.pending.length < MESSAGE_PREFIX_LENGTH + length) break;
      messages.push(this.pending.subarray(MESSAGE_PREFIX_LENGTH, MESSAGE_PREFIX_LENGTH + length));
      this.pending = this.pending.subarray(MESSAGE_PREFIX_LENGTH + length);
    }
    return messages;
  }

  /** Bytes of a message that never completed. */
  get leftover(): number {
    return this.pending.length;
  }
}

export interface GrpcClientOptions {
  /** containerd's gRPC socket (a path, or `unix://path`). */
  socketFile: string;
  /** The containerd namespace the calls act in (the `containerd-namespace` header); none for global calls. */
  namespace?: string;
}

export class GrpcClient {
  private readonly session: http2.ClientHttp2Session;
  private readonly socketFile: string;
  private readonly namespace: string | undefined;
  private sessionError: Error | undefined;

  constructor(options: GrpcClientOptions) {
    this.socketFile = options.socketFile.startsWith('unix://') ? options.socketFile.slice('unix://'.length) : options.socketFile;
    this.namespace = options.namespace;
    this.session = http2.connect('http://containerd', { createConnection: () => net.connect(this.socketFile) });
    this.session.on('error', (error) => (this.sessionError = error));
  }

  /** A unary call: one request, one answer. */
  async unary(method: string, request: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    const messages: Uint8Array[] = [];
    await this.call(method, request, timeoutMs, (message) => messages.push(message));
    if (messages.length !== 1) throw new UnavailableError(`containerd at ${this.socketFile} answered ${method} with ${messages.length} messages, not one`);
    return messages[0]!;
  }

  /** A server-streaming call: `onMessage` sees each answer in order; resolves when the stream ends well. */
  call(method: string, request: Uint8Array, timeoutMs: number, onMessage: (message: Uint8Array) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      let settled = false;
      let grpcStatus: string | undefined;
      let grpcMessage: string | undefined;
      const splitter = new MessageSplitter();
      const finish = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error === undefined) resolve();
        else reject(error);
      };
      const unavailable = (why: string, cause?: unknown) =>
        new UnavailableError(`containerd at ${this.socketFile}: ${method}: ${why}`, cause === undefined ? undefined : { cause });
      const timer = setTimeout(() => {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        finish(unavailable(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const headers: http2.OutgoingHttpHeaders = {
        ':method': 'POST',
        ':path': method,
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-timeout': `${Math.max(1, Math.ceil(timeoutMs))}m`,
      };
      if (this.namespace !== undefined) headers['containerd-namespace'] = this.namespace;
      const stream = this.session.request(headers);
      stream.on('error', (error) => finish(unavailable(this.sessionError?.message ?? error.message, error)));
      const readStatus = (fields: http2.IncomingHttpHeaders) => {
        grpcStatus = headerValue(fields['grpc-status']) ?? grpcStatus;
        grpcMessage = headerValue(fields['grpc-message']) ?? grpcMessage;
      };
      // Trailers-only answers (errors) carry grpc-status in the headers.
      stream.on('response', readStatus);
      stream.on('trailers', readStatus);
      stream.on('data', (chunk: Buffer) => {
        if (settled) return;
        try {
          for (const message of splitter.push(chunk)) onMessage(message);
        } catch (error) {
          stream.close(http2.constants.NGHTTP2_CANCEL);
          finish(error instanceof WasmtsError ? error : unavailable(error instanceof Error ? error.message : String(error), error));
        }
      });
      stream.on('end', () => {
        if (grpcStatus === undefined) return finish(unavailable('the answer has no gRPC status'));
        if (grpcStatus !== '0') {
          const text = grpcMessage === undefined ? `gRPC status ${grpcStatus}` : decodeURIComponent(grpcMessage);
          const code = GRPC_STATUS[grpcStatus] ?? 'ERR_UNAVAILABLE';
          return finish(errorOf(code, `containerd: ${method}: ${text}`));
        }
        if (splitter.leftover !== 0) return finish(unavailable('the answer ends inside a message'));
        finish();
      });
      stream.end(frameMessage(request));
    });
  }

  close(): void {
    this.session.destroy();
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
