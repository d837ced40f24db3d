import http2 from 'node:http2';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeVersionResponse, queryContainerdVersion } from '../../../src/shim/cli/containerd-version.js';

/** VersionResponse{version, revision} as containerd encodes it. */
function versionResponse(version: string, revision: string): Buffer {
  const field = (tag: number, text: string) => {
    const bytes = Buffer.from(text, 'utf8');
    return Buffer.concat([Buffer.from([tag, bytes.length]), bytes]);
  };
  return Buffer.concat([field(0x0a, version), field(0x12, revision)]);
}

function grpcFrame(message: Buffer): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

describe('decodeVersionResponse', () => {
  it('reads version and revision', () => {
    expect(decodeVersionResponse(versionResponse('1.7.24~ds1', '1.7.24~ds1-6+deb13u1'))).toEqual({
      version: '1.7.24~ds1',
      revision: '1.7.24~ds1-6+deb13u1',
    });
  });

  it('skips fields it does not know and rejects a truncated message', () => {
    const unknownVarint = Buffer.from([0x18, 0x96, 0x01]);
    expect(decodeVersionResponse(Buffer.concat([unknownVarint, versionResponse('2.1.9', '')])).version).toBe('2.1.9');
    expect(() => decodeVersionResponse(Buffer.from([0x0a, 0x05, 0x32]))).toThrow();
  });
});

describe('queryContainerdVersion', () => {
  let dir: string;
  let server: http2.Http2Server;
  let socket: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wasmts-version-'));
    socket = path.join(dir, 'containerd.sock');
  });

  afterEach(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  function serve(handler: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void): Promise<void> {
    server = http2.createServer();
    server.on('stream', handler);
    return new Promise((resolve) => server.listen(socket, () => resolve()));
  }

  it('asks the Version service over gRPC on a unix socket', async () => {
    let asked: string | undefined;
    await serve((stream, headers) => {
      asked = headers[':path'];
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': '' }));
      stream.end(grpcFrame(versionResponse('2.1.9+unknown', '')));
    });
    expect(await queryContainerdVersion(`unix://${socket}`, 2_000)).toEqual({ version: '2.1.9+unknown', revision: '' });
    expect(asked).toBe('/containerd.services.version.v1.Version/Version');
  });

  it('rejects a gRPC error status', async () => {
    await serve((stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12' }, { endStream: true });
    });
    await expect(queryContainerdVersion(socket, 2_000)).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE', message: /gRPC status 12/ });
  });

  it('gives up after its timeout when containerd does not answer', async () => {
    await serve(() => {
      // never answers
    });
    await expect(queryContainerdVersion(socket, 100)).rejects.toThrow(/no answer within 100 ms/);
  });

  it('rejects when nothing listens on the socket', async () => {
    await serve(() => {});
    await expect(queryContainerdVersion(path.join(dir, 'absent.sock'), 2_000)).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
  });
});
