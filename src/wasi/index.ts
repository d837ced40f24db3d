/** The public surface of the WASI preview 1 host. */
export { WasiHost, WASI_MODULE, type PreopenSpec, type ProvidedImport, type WasiHostOptions } from './wasi-host.js';
export { SIGNATURES, type ValueType } from './signatures.js';
export type { HandedSocket } from './socket-calls.js';
export { TRAP_EXIT_CODE } from './exit.js';
export { WRITE_HIGH_WATER_MARK, READ_HIGH_WATER_MARK } from './stream-descriptor.js';
export { listenTcp, type TcpListener } from './tcp-listener.js';
export { type SocketAddress } from './ip-address.js';
export { type GuestMount, DEVICES } from './mount-table.js';
export { forgetFileTimes } from './file-times.js';
