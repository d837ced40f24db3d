import net from 'node:net';
import { FdFlags, Filetype, RiFlags, Rights, STREAM_RIGHTS, SdFlags } from './abi.js';
import { Descriptor, type Filestat, type Readiness } from './descriptor.js';
import { Errno, fail } from './errno.js';
import { type HostContext, type ImportTable, thenStore } from './host-context.js';
import { skipBytes, totalLength } from './memory-view.js';
import { Notifier, StreamDescriptor } from './stream-descriptor.js';

/** A socket the embedder hands to the instance, e.g. a listening TCP socket. */
export interface HandedSocket {
  fd: number;
  /** A listening socket (sock_accept) rather than a connected one (sock_recv/sock_send). */
  listening: boolean;
}

/** Connections accepted but not yet taken by the guest, before new ones wait in the kernel's backlog. */
const ACCEPT_QUEUE_LIMIT = 64;

/**
 * A listening socket. libuv accepts in the background into a short queue;
 * sock_accept takes from it or suspends the guest until a connection comes.
 */
export class ListenerDescriptor extends Descriptor {
  readonly filetype = Filetype.SOCKET_STREAM;
  readonly #server: net.Server;
  readonly #queue: net.Socket[] = [];
  readonly #waiters = new Notifier();
  #errno: number | undefined;

  constructor(fd: number) {
    super(Rights.SOCK_ACCEPT | Rights.FD_FDSTAT_SET_FLAGS | Rights.POLL_FD_READWRITE | Rights.FD_FILESTAT_GET, 0n);
    this.#server = net.createServer();
    this.#server.on('connection', (socket) => {
      if (this.#queue.length >= ACCEPT_QUEUE_LIMIT) {
        socket.destroy();
        return;
      }
      this.#queue.push(socket);
      this.#wake();
    });
    this.#server.on('error', () => {
      this.#errno = Errno.IO;
      this.#wake();
    });
    this.#server.listen({ fd });
  }

  accept(): StreamDescriptor | Promise<StreamDescriptor> {
    const socket = this.#queue.shift();
    if (socket !== undefined) return connectedSocket(socket);
    if (this.#errno !== undefined) return fail(this.#errno);
    if ((this.fdflags & FdFlags.NONBLOCK) !== 0) return fail(Errno.AGAIN);
    return this.whenReadable().then(() => this.accept());
  }

  override stat(): Filestat {
    return { dev: 0n, ino: 0n, filetype: this.filetype, nlink: 1n, size: 0n, atim: 0n, mtim: 0n, ctim: 0n };
  }

  override readReadiness(): Readiness | undefined {
    if (this.#queue.length > 0) return { nbytes: BigInt(this.#queue.length), hangup: false };
    if (this.#errno !== undefined) return { nbytes: 0n, hangup: false, errno: this.#errno };
    return undefined;
  }

  override whenReadable(): Promise<void> {
    return this.#waiters.wait();
  }

  override onReadable(wake: () => void): () => void {
    return this.#waiters.subscribe(wake);
  }

  override close(): void {
    for (const socket of this.#queue.splice(0)) socket.destroy();
    this.#server.close();
  }

  #wake(): void {
    this.#waiters.notify();
  }
}

function connectedSocket(socket: net.Socket): StreamDescriptor {
  const hostFd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
  return new StreamDescriptor(socket, { hostFd, readable: true, writable: true, filetype: Filetype.SOCKET_STREAM, rights: STREAM_RIGHTS });
}

/** Wraps a socket fd handed over by the embedder (the host owns it from now on). */
export function wrapSocket(handed: HandedSocket): Descriptor {
  if (handed.listening) return new ListenerDescriptor(handed.fd);
  return connectedSocket(new net.Socket({ fd: handed.fd, readable: true, writable: true }));
}

/** sock_accept, sock_recv, sock_send, sock_shutdown on sockets handed to the instance. */
export function socketCalls(ctx: HostContext): ImportTable {
  const { memory, fds } = ctx;
  const socketAt = (fd: number, rights: bigint): StreamDescriptor => {
    const d = fds.getAs(fd, StreamDescriptor, rights, Errno.NOTSOCK);
    if (d.filetype !== Filetype.SOCKET_STREAM) fail(Errno.NOTSOCK);
    return d;
  };

  return {
    immediate: {
      sock_shutdown(fd: number, how: number): number {
        if (how === 0 || how > (SdFlags.RD | SdFlags.WR)) fail(Errno.INVAL);
        socketAt(fd, Rights.SOCK_SHUTDOWN).shutdown((how & SdFlags.RD) !== 0, (how & SdFlags.WR) !== 0);
        return 0;
      },
    },
    waiting: {
      sock_accept(fd: number, flags: number, fdOut: number): number | Promise<number> {
        if ((flags & ~FdFlags.NONBLOCK) !== 0) fail(Errno.INVAL);
        const listener = fds.getAs(fd, ListenerDescriptor, Rights.SOCK_ACCEPT, Errno.NOTSOCK);
        return thenStore(listener.accept(), (connection) => {
          connection.fdflags = flags;
          memory.setU32(fdOut, fds.add(connection));
        });
      },
      sock_recv(fd: number, iovs: number, iovsLen: number, riFlags: number, nreadPtr: number, roFlagsPtr: number): number | Promise<number> {
        if ((riFlags & ~(RiFlags.RECV_PEEK | RiFlags.RECV_WAITALL)) !== 0) fail(Errno.INVAL);
        const socket = socketAt(fd, Rights.FD_READ);
        const views = (): Uint8Array[] => memory.iovecs(iovs, iovsLen);
        const store = (n: number): void => {
          memory.setU32(nreadPtr, n);
          memory.setU16(roFlagsPtr, 0);
        };
        if ((riFlags & RiFlags.RECV_PEEK) !== 0) return thenStore(socket.peek(views), store);
        if ((riFlags & RiFlags.RECV_WAITALL) !== 0) return thenStore(readAll(socket, views), store);
        return thenStore(socket.read(views), store);
      },
      sock_send(fd: number, iovs: number, iovsLen: number, siFlags: number, nwrittenPtr: number): number | Promise<number> {
        if (siFlags !== 0) fail(Errno.INVAL);
        const socket = socketAt(fd, Rights.FD_WRITE);
        return thenStore(socket.write(memory.iovecs(iovs, iovsLen)), (n) => memory.setU32(nwrittenPtr, n));
      },
    },
  };
}

/** RECV_WAITALL: reads until the buffers are full or the peer ends the stream. */
async function readAll(socket: StreamDescriptor, views: () => Uint8Array[]): Promise<number> {
  const total = totalLength(views());
  let done = 0;
  while (done < total) {
    const rest = (): Uint8Array[] => skipBytes(views(), done);
    const n = await socket.read(rest);
    if (n === 0) break;
    done += n;
  }
  return done;
}
