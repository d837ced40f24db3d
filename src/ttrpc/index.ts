/** Public surface of our ttrpc implementation (wire format: ./PROTOCOL.md). */
export { FRAME_HEADER_LENGTH, MAX_MESSAGE_LENGTH, MAX_STREAM_ID, MessageType, Flag } from './constants.js';
export { StatusCode, statusCodeName, TtrpcStatusError } from './status-code.js';
export { TtrpcClosedError } from './closed-error.js';
export type { Frame, OversizeFrame, DecodedFrame } from './frame.js';
export { encodeFrame } from './frame-encoder.js';
export { FrameDecoder } from './frame-decoder.js';
export {
  encodeRequest,
  decodeRequest,
  encodeResponse,
  decodeResponse,
  type Request,
  type Response,
  type Status,
  type KeyValue,
  type AnyMessage,
} from './messages.js';
export type { Handler, RequestContext, ServiceMethods } from './service-registry.js';
export type { ServerErrorDetail, ServerErrorHook } from './server-connection.js';
export { TtrpcServer, type TtrpcServerOptions } from './server.js';
export { TtrpcClient, type CallOptions } from './client.js';
