import { describe, expect, it } from 'vitest';
import {
  FRAME_HEADER_LENGTH,
  FrameDecoder,
  MAX_MESSAGE_LENGTH,
  MessageType,
  encodeFrame,
  type DecodedFrame,
} from '../../../src/ttrpc/index.js';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

function frame(streamId: number, data: Uint8Array, type: number = MessageType.REQUEST, flags = 0): Buffer {
  return encodeFrame({ streamId, type, flags, data });
}

function pushAll(decoder: FrameDecoder, chunks: Uint8Array[]): DecodedFrame[] {
  return chunks.flatMap((chunk) => decoder.push(chunk));
}

describe('encodeFrame', () => {
  it('writes a big-endian header of length, stream id, type and flags before the body', () => {
    const encoded = frame(3, bytes(0xaa, 0xbb), MessageType.RESPONSE, 0);
    expect(encoded.toString('hex')).toBe('00000002' + '00000003' + '02' + '00' + 'aabb');
  });

  it('refuses a body over the 4 MiB limit', () => {
    expect(() => frame(1, new Uint8Array(MAX_MESSAGE_LENGTH + 1))).toThrow(RangeError);
  });
});

describe('FrameDecoder', () => {
  it('decodes one frame delivered in one chunk', () => {
    const decoder = new FrameDecoder();
    expect(decoder.push(frame(1, bytes(1, 2, 3)))).toEqual([
      { kind: 'frame', streamId: 1, type: MessageType.REQUEST, flags: 0, data: bytes(1, 2, 3) },
    ]);
    expect(decoder.idle).toBe(true);
  });

  it('decodes a frame that arrives one byte at a time', () => {
    const decoder = new FrameDecoder();
    const encoded = frame(7, bytes(9, 8, 7, 6, 5), MessageType.RESPONSE, 0);
    const results: DecodedFrame[] = [];
    for (let i = 0; i < encoded.length; i++) {
      results.push(...decoder.push(encoded.subarray(i, i + 1)));
      if (i < encoded.length - 1) expect(results).toHaveLength(0);
    }
    expect(results).toEqual([
      { kind: 'frame', streamId: 7, type: MessageType.RESPONSE, flags: 0, data: bytes(9, 8, 7, 6, 5) },
    ]);
  });

  it('decodes two frames that arrive in one chunk', () => {
    const decoder = new FrameDecoder();
    const chunk = Buffer.concat([frame(1, bytes(1)), frame(3, bytes(2, 2), MessageType.REQUEST, 0x01)]);
    expect(decoder.push(chunk)).toEqual([
      { kind: 'frame', streamId: 1, type: MessageType.REQUEST, flags: 0, data: bytes(1) },
      { kind: 'frame', streamId: 3, type: MessageType.REQUEST, flags: 1, data: bytes(2, 2) },
    ]);
  });

  it('decodes frames split across chunks at a header boundary and mid-header', () => {
    const decoder = new FrameDecoder();
    const stream = Buffer.concat([frame(1, bytes(1, 1, 1)), frame(3, bytes(3)), frame(5, bytes(5, 5))]);
    const cuts = [4, FRAME_HEADER_LENGTH + 3, FRAME_HEADER_LENGTH + 3 + 6, stream.length];
    const chunks = cuts.map((end, i) => stream.subarray(i === 0 ? 0 : cuts[i - 1], end));
    expect(pushAll(decoder, chunks).map((f) => f.streamId)).toEqual([1, 3, 5]);
    expect(decoder.idle).toBe(true);
  });

  it('decodes a frame with a zero-length body', () => {
    const decoder = new FrameDecoder();
    const chunk = Buffer.concat([frame(9, new Uint8Array(0), MessageType.RESPONSE), frame(11, bytes(4))]);
    const results = decoder.push(chunk);
    expect(results[0]).toEqual({ kind: 'frame', streamId: 9, type: MessageType.RESPONSE, flags: 0, data: bytes() });
    expect(results[1]).toMatchObject({ kind: 'frame', streamId: 11, data: bytes(4) });
  });

  it('reports an oversize frame at its header, discards its body and decodes the next frame', () => {
    const decoder = new FrameDecoder();
    const length = MAX_MESSAGE_LENGTH + 100;
    const header = Buffer.alloc(FRAME_HEADER_LENGTH);
    header.writeUInt32BE(length, 0);
    header.writeUInt32BE(5, 4);
    header.writeUInt8(MessageType.REQUEST, 8);

    expect(decoder.push(header)).toEqual([
      { kind: 'oversize', streamId: 5, type: MessageType.REQUEST, flags: 0, length },
    ]);
    const bodyChunk = Buffer.alloc(1 << 20, 0xff);
    let sent = 0;
    while (length - sent > bodyChunk.length) {
      expect(decoder.push(bodyChunk)).toEqual([]);
      sent += bodyChunk.length;
    }
    const tail = Buffer.concat([bodyChunk.subarray(0, length - sent), frame(7, bytes(7))]);
    expect(decoder.push(tail)).toEqual([
      { kind: 'frame', streamId: 7, type: MessageType.REQUEST, flags: 0, data: bytes(7) },
    ]);
  });

  it('accepts a frame of exactly the maximum length', () => {
    const decoder = new FrameDecoder();
    const results = decoder.push(frame(1, new Uint8Array(MAX_MESSAGE_LENGTH)));
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ kind: 'frame' });
  });

  it('honours a smaller maximum length when one is given', () => {
    const decoder = new FrameDecoder({ maxMessageLength: 2 });
    const results = decoder.push(Buffer.concat([frame(1, bytes(1, 2, 3)), frame(3, bytes(1, 2))]));
    expect(results.map((f) => f.kind)).toEqual(['oversize', 'frame']);
  });
});
