// The protobuf messages wasmts speaks, generated from proto/ by scripts/gen-proto.mjs.
export { containerd, google, io, runtimeoptions, ttrpc } from './proto.js';
