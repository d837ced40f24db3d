import { FRAME_HEADER_LENGTH, MAX_MESSAGE_LENGTH } from './constants.js';
import type { DecodedFrame } from './frame.js';

type State =
  | { phase: 'header' }
  | { phase: 'body'; streamId: number; type: number; flags: number; body: Uint8Array; filled: number }
  | { phase: 'discard'; remaining: number };

/**
 * A push decoder for ttrpc frames, with no I/O: feed it socket chunks in order
 * and it returns every frame those chunks complete. Frames may be split across
 * chunks at any byte, and one chunk may hold several frames.
 *
 * A frame longer than MAX_MESSAGE_LENGTH is returned as `kind: 'oversize'` as
 * soon as its header is read; its body is then dropped as it arrives (never
 * buffered) and decoding resumes with the next frame.
 */
export class FrameDecoder {
  readonly #header = new Uint8Array(FRAME_HEADER_LENGTH);
  #headerFilled = 0;
  #state: State = { phase: 'header' };
  readonly #maxLength: number;

  constructor(options: { maxMessageLength?: number } = {}) {
    this.#maxLength = options.maxMessageLength ?? MAX_MESSAGE_LENGTH;
  }

  /** True when no partial frame is buffered. */
  get idle(): boolean {
    return this.#state.phase === 'header' && this.#headerFilled === 0;
  }

  push(chunk: Uint8Array): DecodedFrame[] {
    const out: DecodedFrame[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      const state = this.#state;
      if (state.phase === 'header') {
        const take = Math.min(FRAME_HEADER_LENGTH - this.#headerFilled, chunk.length - offset);
        this.#header.set(chunk.subarray(offset, offset + take), this.#headerFilled);
        this.#headerFilled += take;
        offset += take;
        if (this.#headerFilled === FRAME_HEADER_LENGTH) {
          this.#headerFilled = 0;
          this.#startFrame(out);
        }
      } else if (state.phase === 'body') {
        const take = Math.min(state.body.length - state.filled, chunk.length - offset);
        state.body.set(chunk.subarray(offset, offset + take), state.filled);
        state.filled += take;
        offset += take;
        if (state.filled === state.body.length) {
          out.push({ kind: 'frame', streamId: state.streamId, type: state.type, flags: state.flags, data: state.body });
          this.#state = { phase: 'header' };
        }
      } else {
        const take = Math.min(state.remaining, chunk.length - offset);
        state.remaining -= take;
        offset += take;
        if (state.remaining === 0) this.#state = { phase: 'header' };
      }
    }
    return out;
  }

  #startFrame(out: DecodedFrame[]): void {
    const view = new DataView(this.#header.buffer, this.#header.byteOffset, FRAME_HEADER_LENGTH);
    const length = view.getUint32(0);
    const streamId = view.getUint32(4);
    const type = view.getUint8(8);
    const flags = view.getUint8(9);
    if (length > this.#maxLength) {
      out.push({ kind: 'oversize', streamId, type, flags, length });
      this.#state = { phase: 'discard', remaining: length };
    } else if (length === 0) {
      out.push({ kind: 'frame', streamId, type, flags, data: new Uint8Array(0) });
    } else {
      this.#state = { phase: 'body', streamId, type, flags, body: new Uint8Array(length), filled: 0 };
    }
  }
}
