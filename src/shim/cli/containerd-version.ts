/**
 * Asks a containerd for its version over its own gRPC API
 * (`containerd.services.version.v1.Version/Version`). gRPC is HTTP/2 with a
 * small message framing, so Node's built-in HTTP/2 client on the unix socket
 * is all it takes; `start` loads this (and the generated codecs) only when it
 * has to ask.
 */
import http2 from 'node:http2';
import net from 'node:net';
import { UnavailableError } from '../../errors.js';
import { containerd } from '../../generated/index.js';
import { socketFileOf } from './socket-address.js';

/** api/services/version/v1/version.proto: rpc Version(google.protobuf.Empty) returns (VersionResponse). */
const VERSION_PATH = '/containerd.services.version.v1.Version/Version';
/** gRPC over HTTP/2 (PROTOCOL-HTTP2.md, Length-Prefixed-Message): compressed flag, then a 4-byte big-endian length. */
const MESSAGE_PREFIX_LENGTH = 5;

export interface ContainerdVersion {
  version: string;
  revision: string;
}

/** Asks the containerd at a gRPC address for its version; rejects when it cannot tell in time. */
export type VersionQuery = (address: string, timeoutMs: number) => Promise<ContainerdVersion>;

/** An empty message (google.protobuf.Empty), uncompressed. */
const EMPTY_REQUEST = new Uint8Array(MESSAGE_PREFIX_LENGTH);

export const queryContainerdVersion: VersionQuery = (address, timeoutMs) => {
  const socketFile = socketFileOf(address);
  return new Promise((resolve, reject) => {
    const session = http2.connect('http://containerd', { createConnection: () => net.connect(socketFile) });
    const chunks: Buffer[] = [];
    let grpcStatus: string | undefined;
    let settled = false;
    const finish = (error: Error | undefined, body?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      if (error !== undefined) {
        reject(new UnavailableError(`ask containerd at ${socketFile} for its version: ${error.message}`, { cause: error }));
        return;
      }
      try {
        resolve(decodeVersionResponse(unframe(body!)));
      } catch (cause) {
        reject(new UnavailableError(`containerd at ${socketFile} sent a version answer that does not decode`, { cause }));
      }
    };
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    session.on('error', (error) => finish(error));
    const request = session.request({
      ':method': 'POST',
      ':path': VERSION_PATH,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    request.on('error', (error) => finish(error));
    // Trailers-only answers (errors) carry grpc-status in the headers.
    request.on('response', (headers) => (grpcStatus = headerValue(headers['grpc-status']) ?? grpcStatus));
    request.on('trailers', (trailers) => (grpcStatus = headerValue(trailers['grpc-status']) ?? grpcStatus));
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (grpcStatus !== '0') finish(new Error(`gRPC status ${grpcStatus ?? 'missing'}`));
      else finish(undefined, Buffer.concat(chunks));
    });
    request.end(EMPTY_REQUEST);
  });
};

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The one uncompressed message of a unary gRPC answer. */
function unframe(body: Uint8Array): Uint8Array {
  if (body.length < MESSAGE_PREFIX_LENGTH) throw new Error(`the answer is ${body.length} bytes, shorter than a message prefix`);
  if (body[0] !== 0) throw new Error('the answer is compressed');
  const length = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(1);
  if (body.length < MESSAGE_PREFIX_LENGTH + length) throw new Error('the answer ends inside its message');
  return body.subarray(MESSAGE_PREFIX_LENGTH, MESSAGE_PREFIX_LENGTH + length);
}

/** A VersionResponse (this file is loaded only when `start` has to ask, so the codec's cost is paid only then). */
export function decodeVersionResponse(bytes: Uint8Array): ContainerdVersion {
  const { version, revision } = containerd.services.version.v1.VersionResponse.decode(bytes);
  return { version, revision };
}
