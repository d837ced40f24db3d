/** One ttrpc frame: a 10-byte header (PROTOCOL.md §1) and its body. */
export interface Frame {
  streamId: number;
  type: number;
  flags: number;
  data: Uint8Array;
}

/** The header of a frame whose body was over MAX_MESSAGE_LENGTH and was discarded. */
export interface OversizeFrame {
  streamId: number;
  type: number;
  flags: number;
  /** The length the header claimed. */
  length: number;
}

export type DecodedFrame = ({ kind: 'frame' } & Frame) | ({ kind: 'oversize' } & OversizeFrame);
