import { FRAME_HEADER_LENGTH, MAX_MESSAGE_LENGTH, MAX_STREAM_ID } from './constants.js';
import type { Frame } from './frame.js';

/**
 * Encodes a frame as one buffer (header then body), so it can go to the socket
 * in a single write and never interleave with another frame.
 * Throws RangeError for a body over MAX_MESSAGE_LENGTH: callers check first and
 * answer with a status instead.
 */
export function encodeFrame(frame: Frame): Buffer {
  const { streamId, type, flags, data } = frame;
  if (data.length > MAX_MESSAGE_LENGTH) {
    throw new RangeError(`ttrpc frame body is ${data.length} bytes, over the ${MAX_MESSAGE_LENGTH}-byte limit`);
  }
  if (!Number.isInteger(streamId) || streamId < 0 || streamId > MAX_STREAM_ID) {
    throw new RangeError(`ttrpc stream id ${streamId} does not fit in 32 bits`);
  }
  const out = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + data.length);
  out.writeUInt32BE(data.length, 0);
  out.writeUInt32BE(streamId, 4);
  out.writeUInt8(type, 8);
  out.writeUInt8(flags, 9);
  out.set(data, FRAME_HEADER_LENGTH);
  return out;
}
