/**
 * Wire constants of the ttrpc protocol, each named once. Section numbers refer
 * to ./PROTOCOL.md (ours) and to containerd/ttrpc PROTOCOL.md ("Message Frame").
 */

/** Bytes in a frame header: length(4) + stream id(4) + type(1) + flags(1). PROTOCOL.md §1. */
export const FRAME_HEADER_LENGTH = 10;

/** Largest frame body either side accepts or sends: 4 MiB. PROTOCOL.md §1. */
export const MAX_MESSAGE_LENGTH = 4 << 20;

/** Largest stream id that fits the 32-bit header field. PROTOCOL.md §1. */
export const MAX_STREAM_ID = 0xffff_ffff;

/** Frame message types. PROTOCOL.md §2. */
export const MessageType = {
  REQUEST: 0x01,
  RESPONSE: 0x02,
  /** Streaming only (ttrpc >= 1.2); this implementation ignores it. */
  DATA: 0x03,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** Frame flags. Unary requests and every response carry 0. PROTOCOL.md §3. */
export const Flag = {
  /** Request/Data: the sender will send no more data on this stream. */
  REMOTE_CLOSED: 0x01,
  /** Request: the client will follow with Data frames (client streaming). */
  REMOTE_OPEN: 0x02,
  /** Data: the frame carries no data (an empty close). */
  NO_DATA: 0x04,
} as const;
