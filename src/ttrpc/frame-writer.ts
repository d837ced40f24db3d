import type { Socket } from 'node:net';
import { encodeFrame } from './frame-encoder.js';
import type { Frame } from './frame.js';

/**
 * Writes one whole frame with a single socket.write. Node queues writes in
 * call order, so the socket's own write buffer is the per-connection queue and
 * frames never interleave. A frame for a socket that is already closing is
 * dropped (returns false): the peer may hang up at any time.
 */
export function writeFrame(socket: Socket, frame: Frame): boolean {
  if (socket.destroyed || !socket.writable) return false;
  socket.write(encodeFrame(frame));
  return true;
}

const DISCONNECT_CODES = new Set(['EPIPE', 'ECONNRESET', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);

/** True for the socket errors that only mean "the peer went away". */
export function isDisconnectError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && DISCONNECT_CODES.has(code);
}
