import { FdFlags, Filetype, RiFlags, RoFlags, SdFlags } from './abi.js';
import { getAddrinfo } from './addrinfo.js';
import { Errno, fail } from './errno.js';
import type { HostContext, HostFunction, ImportTable } from './host-context.js';
import { thenStore } from './host-context.js';
import {
  ADDRESS_STORAGE_SIZE,
  type AddressBuffer,
  SockType,
  type SocketAddress,
  familyOf,
  readAddressRecord,
  readSocketAddress,
  writeSocketAddress,
} from './ip-address.js';
import type { ValueType } from './signatures.js';
import { SOL_SOCKET, type Received, SocketDescriptor } from './socket-descriptor.js';
import { socketCalls } from './socket-calls.js';
import { TcpSocketDescriptor } from './tcp-socket.js';
import { UdpSocketDescriptor } from './udp-socket.js';

/**
 * The socket calls of WasmEdge's extension to wasi_snapshot_preview1
 * (/work/shared/reference/wasmedge-socket-abi.md; WasmEdge
 * lib/host/wasi/wasimodule.cpp registers the same names), which modules
 * built with wasmedge_wasi_socket, tokio_wasi or the C headers import, plus
 * the standard sock_accept/recv/send/shutdown on every kind of socket.
 *
 * Where the "V1" and "V2" forms share a name, the number of arguments the
 * guest's import declares tells them apart: sock_accept 2 (V1) or 3 (V2, the
 * standard one), sock_recv_from 7 or 8, sock_getlocaladdr/getpeeraddr 4 or 3.
 * Addresses may be given in either form everywhere (4 or 16 raw bytes, or a
 * 128-byte storage), as WasmEdge binds the V2 code to a mismatching import.
 */

const I: ValueType = 'i32';
const params = (n: number): readonly ValueType[] => new Array<ValueType>(n).fill(I);

/** Every import this factory provides, with each form's parameters. */
export const WASMEDGE_SOCKET_SIGNATURES: readonly { name: string; params: readonly ValueType[] }[] = [
  ['sock_open', 3], ['sock_bind', 3], ['sock_connect', 3], ['sock_listen', 2],
  ['sock_accept', 2], ['sock_accept', 3],
  ['sock_recv', 6], ['sock_recv_from', 7], ['sock_recv_from', 8],
  ['sock_send', 5], ['sock_send_to', 7], ['sock_shutdown', 2],
  ['sock_getsockopt', 5], ['sock_setsockopt', 5],
  ['sock_getlocaladdr', 4], ['sock_getlocaladdr', 3], ['sock_getpeeraddr', 4], ['sock_getpeeraddr', 3],
  ['sock_getaddrinfo', 8],
  ['sock_open_v2', 3], ['sock_bind_v2', 3], ['sock_connect_v2', 3], ['sock_listen_v2', 2], ['sock_accept_v2', 3],
  ['sock_recv_v2', 6], ['sock_recv_from_v2', 8], ['sock_send_v2', 5], ['sock_send_to_v2', 7],
  ['sock_getlocaladdr_v2', 3], ['sock_getpeeraddr_v2', 3],
].map(([name, n]) => ({ name: name as string, params: params(n as number) }));

/** V1 sock_getlocaladdr/getpeeraddr report the family as 4 or 6 (WasmEdge keeps that quirk for old guests). */
const V1_ADDRESS_TYPE = { inet4: 4, inet6: 6 } as const;

export function networkCalls(ctx: HostContext): ImportTable {
  const { memory, fds } = ctx;
  // Sockets handed over by the embedder as raw fds keep the standard calls.
  const standard = socketCalls(ctx);

  const socketAt = (fd: number): SocketDescriptor => {
    const d = fds.get(fd);
    if (d instanceof SocketDescriptor) return d;
    return fail(d.filetype === Filetype.SOCKET_STREAM || d.filetype === Filetype.SOCKET_DGRAM ? Errno.NOTSUP : Errno.NOTSOCK);
  };
  const ours = (fd: number): SocketDescriptor | undefined => {
    const d = fds.has(fd) ? fds.get(fd) : undefined;
    return d instanceof SocketDescriptor ? d : undefined;
  };
  const addFd = (fdOut: number, descriptor: SocketDescriptor): void => {
    memory.check(fdOut, 4);
    memory.setU32(fdOut, fds.add(descriptor));
  };
  const recvFlags = (riFlags: number): { peek: boolean; waitAll: boolean } => {
    if ((riFlags & ~(RiFlags.RECV_PEEK | RiFlags.RECV_WAITALL)) !== 0) fail(Errno.INVAL);
    return { peek: (riFlags & RiFlags.RECV_PEEK) !== 0, waitAll: (riFlags & RiFlags.RECV_WAITALL) !== 0 };
  };
  const storeReceived = (nreadPtr: number, roFlagsPtr: number) => (r: Received): void => {
    memory.setU32(nreadPtr, r.n);
    memory.setU16(roFlagsPtr, r.truncated ? RoFlags.RECV_DATA_TRUNCATED : 0);
  };
  const addressOut = (recordPtr: number): AddressBuffer => readAddressRecord(memory, recordPtr);

  const accept = (fd: number, flags: number, fdOut: number): number | Promise<number> => {
    if ((flags & ~FdFlags.NONBLOCK) !== 0) fail(Errno.INVAL);
    memory.check(fdOut, 4);
    return thenStore(socketAt(fd).accept(), (connection) => {
      connection.fdflags = flags;
      addFd(fdOut, connection);
    });
  };

  /** recv_from: V1 fills the address buffer with the raw IP; V2 also takes an address storage and a port. */
  const recvFrom = (fd: number, iovs: number, iovsLen: number, addressPtr: number, riFlags: number, portPtr: number | undefined, nreadPtr: number, roFlagsPtr: number): number | Promise<number> => {
    const socket = socketAt(fd);
    const flags = recvFlags(riFlags);
    const buffer = addressOut(addressPtr);
    if (portPtr !== undefined) {
      if (buffer.length !== 4 && buffer.length !== 16 && buffer.length !== ADDRESS_STORAGE_SIZE) fail(Errno.INVAL);
      memory.check(portPtr, 2);
    }
    return thenStore(socket.recv(() => memory.iovecs(iovs, iovsLen), flags), (r) => {
      storeReceived(nreadPtr, roFlagsPtr)(r);
      // A stream socket says nothing about the sender (recvmsg leaves msg_name empty), as on Linux;
      // a buffer too small for the sender's address is left as it is (the datagram is already taken).
      const from = r.from;
      const fits = from !== undefined && (buffer.length >= (from.family === 'inet4' ? 4 : 16) || (portPtr !== undefined && buffer.length === ADDRESS_STORAGE_SIZE));
      if (fits) writeSocketAddress(memory, buffer, from, portPtr !== undefined);
      // The port in host order (WasmEdge stores sin_port as it is, in network order; guests expect the number).
      if (portPtr !== undefined) memory.setU16(portPtr, r.from?.port ?? 0);
    });
  };

  const address = (fd: number, recordPtr: number, typePtr: number | undefined, portPtr: number, which: 'local' | 'peer'): number => {
    const socket = socketAt(fd);
    const buffer = addressOut(recordPtr);
    const v1 = typePtr !== undefined;
    if (v1 ? buffer.length !== 4 && buffer.length !== 16 : buffer.length !== ADDRESS_STORAGE_SIZE) fail(Errno.INVAL);
    const value = which === 'local' ? socket.localAddress() : socket.peerAddress();
    writeSocketAddress(memory, buffer, value, !v1);
    if (typePtr !== undefined) memory.setU32(typePtr, V1_ADDRESS_TYPE[value.family]);
    memory.setU32(portPtr, value.port);
    return 0;
  };

  const open = (af: number, type: number, fdOut: number): number => {
    const family = familyOf(af);
    if (type !== SockType.STREAM && type !== SockType.DGRAM) fail(Errno.INVAL);
    memory.check(fdOut, 4);
    addFd(fdOut, type === SockType.STREAM ? new TcpSocketDescriptor(family) : new UdpSocketDescriptor(family));
    return 0;
  };
  const bind = (fd: number, addressPtr: number, port: number): number | Promise<number> => {
    const socket = socketAt(fd);
    return thenStore(socket.bind(readSocketAddress(memory, addressPtr, port)), () => {});
  };
  const connect = (fd: number, addressPtr: number, port: number): number | Promise<number> => {
    const socket = socketAt(fd);
    return thenStore(socket.connect(readSocketAddress(memory, addressPtr, port)), () => {});
  };
  const listen = (fd: number, backlog: number): number | Promise<number> => thenStore(socketAt(fd).listen(backlog | 0), () => {});
  const recv = (fd: number, iovs: number, iovsLen: number, riFlags: number, nreadPtr: number, roFlagsPtr: number): number | Promise<number> => {
    if (ours(fd) === undefined) return (standard.waiting.sock_recv as HostFunction)(fd, iovs, iovsLen, riFlags, nreadPtr, roFlagsPtr);
    const socket = socketAt(fd);
    return thenStore(socket.recv(() => memory.iovecs(iovs, iovsLen), recvFlags(riFlags)), storeReceived(nreadPtr, roFlagsPtr));
  };
  const send = (fd: number, iovs: number, iovsLen: number, siFlags: number, nwrittenPtr: number): number | Promise<number> => {
    if (ours(fd) === undefined) return (standard.waiting.sock_send as HostFunction)(fd, iovs, iovsLen, siFlags, nwrittenPtr);
    if (siFlags !== 0) fail(Errno.INVAL);
    const socket = socketAt(fd);
    return thenStore(socket.send(memory.iovecs(iovs, iovsLen)), (n) => memory.setU32(nwrittenPtr, n));
  };
  const sendTo = (fd: number, iovs: number, iovsLen: number, addressPtr: number, port: number, siFlags: number, nwrittenPtr: number): number | Promise<number> => {
    if (siFlags !== 0) fail(Errno.INVAL);
    const socket = socketAt(fd);
    const to: SocketAddress = readSocketAddress(memory, addressPtr, port);
    return thenStore(socket.send(memory.iovecs(iovs, iovsLen), to), (n) => memory.setU32(nwrittenPtr, n));
  };

  const waiting: Record<string, HostFunction> = {
    sock_bind: bind,
    sock_bind_v2: bind,
    sock_connect: connect,
    sock_connect_v2: connect,
    sock_listen: listen,
    sock_listen_v2: listen,
    sock_accept(...args: number[]): number | Promise<number> {
      const [fd, a, b] = args as [number, number, number];
      if (ours(fd) === undefined) {
        return (standard.waiting.sock_accept as HostFunction)(fd, args.length === 2 ? 0 : a, args.length === 2 ? a : b);
      }
      // V1: (fd, *fd_out), the new socket blocking; V2 and standard WASI: (fd, fdflags, *fd_out).
      return args.length === 2 ? accept(fd, 0, a) : accept(fd, a, b);
    },
    sock_accept_v2: (fd: number, flags: number, fdOut: number) => accept(fd, flags, fdOut),
    sock_recv: recv,
    sock_recv_v2: recv,
    sock_recv_from(...args: number[]): number | Promise<number> {
      const [fd, iovs, iovsLen, addressPtr, riFlags, a, b, c] = args as number[] as [number, number, number, number, number, number, number, number];
      return args.length === 7 ? recvFrom(fd, iovs, iovsLen, addressPtr, riFlags, undefined, a, b) : recvFrom(fd, iovs, iovsLen, addressPtr, riFlags, a, b, c);
    },
    sock_recv_from_v2: (fd: number, iovs: number, iovsLen: number, addressPtr: number, riFlags: number, portPtr: number, nreadPtr: number, roFlagsPtr: number) =>
      recvFrom(fd, iovs, iovsLen, addressPtr, riFlags, portPtr, nreadPtr, roFlagsPtr),
    sock_send: send,
    sock_send_v2: send,
    sock_send_to: sendTo,
    sock_send_to_v2: sendTo,
    sock_getaddrinfo: (nodePtr: number, nodeLen: number, servicePtr: number, serviceLen: number, hintsPtr: number, resPtr: number, max: number, resLenPtr: number) =>
      getAddrinfo(memory, ctx.readGuestFile, nodePtr, nodeLen, servicePtr, serviceLen, hintsPtr, resPtr, max, resLenPtr),
  };

  const immediate: Record<string, HostFunction> = {
    sock_open: open,
    sock_open_v2: open,
    sock_shutdown(fd: number, how: number): number {
      if (ours(fd) === undefined) return (standard.immediate.sock_shutdown as HostFunction)(fd, how) as number;
      if (how === 0 || how > (SdFlags.RD | SdFlags.WR)) fail(Errno.INVAL);
      socketAt(fd).shutdown((how & SdFlags.RD) !== 0, (how & SdFlags.WR) !== 0);
      return 0;
    },
    sock_getsockopt(fd: number, level: number, name: number, valuePtr: number, sizePtr: number): number {
      const socket = socketAt(fd);
      if (level !== SOL_SOCKET) fail(Errno.INVAL);
      const room = memory.u32(sizePtr);
      memory.check(valuePtr, room);
      const value = socket.getOption(name);
      const n = Math.min(room, value.length);
      memory.write(valuePtr, value.subarray(0, n));
      memory.setU32(sizePtr, n);
      return 0;
    },
    sock_setsockopt(fd: number, level: number, name: number, valuePtr: number, size: number): number {
      const socket = socketAt(fd);
      if (level !== SOL_SOCKET) fail(Errno.INVAL);
      socket.setOption(name, memory.copy(valuePtr, size));
      return 0;
    },
    sock_getlocaladdr(...args: number[]): number {
      const [fd, recordPtr, a, b] = args as [number, number, number, number];
      return args.length === 4 ? address(fd, recordPtr, a, b, 'local') : address(fd, recordPtr, undefined, a, 'local');
    },
    sock_getpeeraddr(...args: number[]): number {
      const [fd, recordPtr, a, b] = args as [number, number, number, number];
      return args.length === 4 ? address(fd, recordPtr, a, b, 'peer') : address(fd, recordPtr, undefined, a, 'peer');
    },
    sock_getlocaladdr_v2: (fd: number, recordPtr: number, portPtr: number) => address(fd, recordPtr, undefined, portPtr, 'local'),
    sock_getpeeraddr_v2: (fd: number, recordPtr: number, portPtr: number) => address(fd, recordPtr, undefined, portPtr, 'peer'),
  };

  return { immediate, waiting };
}
