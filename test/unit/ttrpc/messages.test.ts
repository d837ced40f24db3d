import { describe, expect, it } from 'vitest';
import {
  FrameDecoder,
  MessageType,
  StatusCode,
  decodeRequest,
  decodeResponse,
  encodeFrame,
  encodeRequest,
  encodeResponse,
} from '../../../src/ttrpc/index.js';

const hex = (...parts: string[]): Buffer => Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex');
const ascii = (text: string): string => Buffer.from(text, 'ascii').toString('hex');

// shim-protocol.md §3.2, worked example from a containerd 1.6 exec session.
const CONNECT_REQUEST_FRAME = hex(
  '00000030 00000003 01 00',
  '0a 17', ascii('containerd.task.v2.Task'),
  '12 07', ascii('Connect'),
  '1a 0c', '0a 0a', ascii('probe-exec'),
);
const CONNECT_RESPONSE_FRAME = hex('0000000a 00000003 02 00', '12 08 08 bcfd01 10 ccfe01');

// transcripts/forward-error-example.txt: containerd rejecting a Forward with code 3.
const FORWARD_ERROR_BODY = hex(
  '0a4508031241656e76656c6f706520746f706963202262616420746f706963223a206d757374207374617274207769746820272f273a20696e76616c696420617267756d656e74',
);

describe('ttrpc messages', () => {
  it('decodes the real Connect request frame containerd sent', () => {
    const [frame] = new FrameDecoder().push(CONNECT_REQUEST_FRAME);
    expect(frame).toMatchObject({ kind: 'frame', streamId: 3, type: MessageType.REQUEST, flags: 0 });
    if (frame?.kind !== 'frame') throw new Error('expected a frame');
    const request = decodeRequest(frame.data);
    expect(request.service).toBe('containerd.task.v2.Task');
    expect(request.method).toBe('Connect');
    expect(Buffer.from(request.payload).toString('hex')).toBe('0a0a' + ascii('probe-exec'));
    expect(request.timeoutNano).toBe(0n);
    expect(request.metadata).toEqual([]);
  });

  it('encodes that Connect request to the same bytes', () => {
    const payload = hex('0a 0a', ascii('probe-exec'));
    const body = encodeRequest({
      service: 'containerd.task.v2.Task', method: 'Connect', payload, timeoutNano: 0n, metadata: [],
    });
    expect(encodeFrame({ streamId: 3, type: MessageType.REQUEST, flags: 0, data: body })).toEqual(CONNECT_REQUEST_FRAME);
  });

  it('decodes the real Connect response as a payload with no status', () => {
    const [frame] = new FrameDecoder().push(CONNECT_RESPONSE_FRAME);
    if (frame?.kind !== 'frame') throw new Error('expected a frame');
    const response = decodeResponse(frame.data);
    expect(response.status).toBeUndefined();
    expect(Buffer.from(response.payload).toString('hex')).toBe('08bcfd0110ccfe01');
  });

  it('encodes a successful response with no status field, like runc', () => {
    const payload = hex('08 bcfd01 10 ccfe01');
    const body = encodeResponse({ payload });
    expect(encodeFrame({ streamId: 3, type: MessageType.RESPONSE, flags: 0, data: body })).toEqual(CONNECT_RESPONSE_FRAME);
    expect(encodeResponse({ payload: new Uint8Array(0) })).toHaveLength(0);
  });

  it('decodes the Forward error response from containerd as code 3 with its message', () => {
    const response = decodeResponse(FORWARD_ERROR_BODY);
    expect(response.status).toEqual({
      code: StatusCode.INVALID_ARGUMENT,
      message: `envelope topic "bad topic": must start with '/': invalid argument`,
      details: [],
    });
    expect(response.payload).toHaveLength(0);
  });

  it('encodes an error status to the bytes containerd sent', () => {
    const body = encodeResponse({
      status: { code: 3, message: `envelope topic "bad topic": must start with '/': invalid argument`, details: [] },
      payload: new Uint8Array(0),
    });
    expect(Buffer.from(body)).toEqual(FORWARD_ERROR_BODY);
  });

  it('round-trips timeout_nano and repeated metadata', () => {
    const request = {
      service: 'containerd.services.events.ttrpc.v1.Events',
      method: 'Forward',
      payload: Uint8Array.from([1, 2, 3]),
      timeoutNano: 4_999_983_316n,
      metadata: [
        { key: 'containerd-namespace-ttrpc', value: 'research' },
        { key: 'trace', value: 'a' },
        { key: 'trace', value: 'b' },
      ],
    };
    const decoded = decodeRequest(encodeRequest(request));
    expect({ ...decoded, payload: [...decoded.payload] }).toEqual({ ...request, payload: [1, 2, 3] });
  });

  it('round-trips status details as type URL and raw value', () => {
    const status = { code: 5, message: 'nope', details: [{ typeUrl: 'type.example/x', value: Uint8Array.from([9]) }] };
    const decoded = decodeResponse(encodeResponse({ status, payload: new Uint8Array(0) })).status;
    expect(decoded?.details.map((d) => ({ typeUrl: d.typeUrl, value: [...d.value] })))
      .toEqual([{ typeUrl: 'type.example/x', value: [9] }]);
    expect(decoded).toMatchObject({ code: 5, message: 'nope' });
  });

  it('skips fields it does not know', () => {
    const body = Buffer.concat([
      Buffer.from(encodeRequest({ service: 's', method: 'm', payload: new Uint8Array(0), timeoutNano: 0n, metadata: [] })),
      hex('30 07', '3a 02 6869'), // field 6 varint, field 7 bytes
    ]);
    expect(decodeRequest(body)).toMatchObject({ service: 's', method: 'm' });
  });

  it('throws on a truncated message', () => {
    expect(() => decodeRequest(hex('0a 17 6162'))).toThrow();
  });
});

describe('the ttrpc messages against the generated codec of request.proto', () => {
  it('encode requests and responses the generated code reads, and read what it writes', async () => {
    const { ttrpc } = await import('../../../src/generated/index.js');
    const request = {
      service: 'containerd.task.v2.Task',
      method: 'Create',
      payload: Uint8Array.from([1, 2, 3]),
      timeoutNano: 5_000_000_000n,
      metadata: [{ key: 'containerd-namespace', value: 'k8s.io' }],
    };
    const generated = ttrpc.Request.decode(encodeRequest(request));
    expect(generated.service).toBe(request.service);
    expect(generated.method).toBe(request.method);
    expect(Buffer.from(generated.payload)).toEqual(Buffer.from(request.payload));
    expect(String(generated.timeoutNano)).toBe('5000000000');
    expect(generated.metadata.map((m) => [m.key, m.value])).toEqual([['containerd-namespace', 'k8s.io']]);
    const back = decodeRequest(ttrpc.Request.encode(generated).finish());
    expect({ ...back, payload: Buffer.from(back.payload) }).toEqual({ ...request, payload: Buffer.from(request.payload) });

    const response = { status: { code: 5, message: 'task x not found', details: [] }, payload: new Uint8Array(0) };
    const decoded = ttrpc.Response.decode(encodeResponse(response));
    expect(decoded.status?.code).toBe(5);
    expect(decoded.status?.message).toBe('task x not found');
    expect(decodeResponse(ttrpc.Response.encode(decoded).finish()).status).toMatchObject({ code: 5, message: 'task x not found' });
  });
});
