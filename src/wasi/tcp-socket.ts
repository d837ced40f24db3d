import net from 'node:net';
import { FdFlags, Filetype, STREAM_RIGHTS } from './abi.js';
import type { IovecSource, Readiness } from './descriptor.js';
import { Errno, WasiError, errnoOf, fail } from './errno.js';
import { type Family, type SocketAddress, SockType, anyAddress, socketAddressOf } from './ip-address.js';
import { skipBytes, totalLength } from './memory-view.js';
import { type Received, type RecvFlags, SockOpt, SocketDescriptor, retrying } from './socket-descriptor.js';
import { Notifier, StreamDescriptor } from './stream-descriptor.js';
import { TcpListener, listenTcp } from './tcp-listener.js';

type TcpState =
  | { kind: 'fresh' }
  | { kind: 'connecting'; socket: net.Socket; done: Promise<void> }
  | { kind: 'connected'; socket: net.Socket; stream: StreamDescriptor }
  | { kind: 'listening'; listener: TcpListener }
  | { kind: 'closed' };

const HANGUP: Readiness = { nbytes: 0n, hangup: true };

/**
 * A TCP socket: fresh (maybe bound) until connect (a net.Socket, its bytes
 * moved by a StreamDescriptor) or listen (a TcpListener). Node binds and
 * listens in one step, so sock_bind only records the address; an address in
 * use is reported by sock_listen or sock_connect.
 */
export class TcpSocketDescriptor extends SocketDescriptor {
  readonly filetype = Filetype.SOCKET_STREAM;
  readonly sockType = SockType.STREAM;
  #state: TcpState = { kind: 'fresh' };
  #bound: SocketAddress | undefined;
  /** Wakes pollers when the state changes (connected, failed). */
  readonly #changed = new Notifier();

  /** A connection taken from a listener (or handed over), already connected. */
  static connected(socket: net.Socket, family: Family): TcpSocketDescriptor {
    const d = new TcpSocketDescriptor(family);
    d.#becomeConnected(socket);
    return d;
  }

  /** A socket already listening (the runtime's --tcplisten style sockets). */
  static listening(listener: TcpListener, family: Family): TcpSocketDescriptor {
    const d = new TcpSocketDescriptor(family);
    d.#state = { kind: 'listening', listener };
    return d;
  }

  override get listening(): boolean {
    return this.#state.kind === 'listening';
  }

  override bind(address: SocketAddress): void {
    if (address.family !== this.family) fail(Errno.AFNOSUPPORT);
    if (this.#state.kind !== 'fresh' || this.#bound !== undefined) fail(Errno.INVAL);
    this.#bound = address;
  }

  override async listen(backlog: number): Promise<void> {
    const state = this.#state;
    if (state.kind === 'listening') {
      state.listener.backlog = backlog;
      return;
    }
    if (state.kind !== 'fresh') fail(Errno.INVAL);
    const listener = await listenTcp(this.#bound ?? anyAddress(this.family), backlog);
    if (this.#state.kind === 'closed') {
      listener.close();
      fail(Errno.BADF);
    }
    this.#state = { kind: 'listening', listener };
  }

  override accept(): TcpSocketDescriptor | Promise<TcpSocketDescriptor> {
    const state = this.#state;
    if (state.kind !== 'listening') return fail(Errno.INVAL);
    const take = (): TcpSocketDescriptor => TcpSocketDescriptor.connected(state.listener.take(), this.family);
    return retrying(take, () => state.listener.whenArrived(), this.nonblocking, this.receiveTimeoutMs());
  }

  override connect(address: SocketAddress): void | Promise<void> {
    if (address.family !== this.family) fail(Errno.AFNOSUPPORT);
    const state = this.#state;
    if (state.kind === 'connected') fail(Errno.ISCONN);
    if (state.kind === 'listening' || state.kind === 'closed') fail(Errno.INVAL);
    if (state.kind === 'connecting') {
      if (this.nonblocking) fail(Errno.ALREADY);
      return state.done;
    }
    const socket = net.connect({
      host: address.address,
      port: address.port,
      family: this.family === 'inet4' ? 4 : 6,
      allowHalfOpen: true,
      ...(this.#bound !== undefined ? { localAddress: this.#bound.address, localPort: this.#bound.port } : {}),
    });
    const done = new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => {
        const errno = errnoOf(error) ?? Errno.IO;
        socket.destroy();
        if (this.#state.kind === 'connecting') this.#state = { kind: 'fresh' };
        this.setPendingError(errno);
        this.#changed.notify();
        reject(new WasiError(errno));
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        if (this.#state.kind === 'connecting') this.#becomeConnected(socket);
        else socket.destroy();
        this.#changed.notify();
        resolve();
      });
    });
    this.#state = { kind: 'connecting', socket, done };
    if (this.nonblocking) {
      done.catch(() => {}); // reported through SO_ERROR and poll
      return fail(Errno.INPROGRESS);
    }
    // The blocking call reports the error itself: it is not left pending too.
    return done.catch((error: unknown) => {
      this.takeError();
      throw error;
    });
  }

  override recv(iovs: IovecSource, flags: RecvFlags): Received | Promise<Received> {
    const state = this.#state;
    if (state.kind === 'connecting') {
      if (this.nonblocking) return fail(Errno.AGAIN);
      return state.done.then(() => this.recv(iovs, flags));
    }
    if (state.kind !== 'connected') {
      const errno = this.takeError();
      return fail(errno !== 0 ? errno : Errno.NOTCONN);
    }
    const { stream } = state;
    const once = (views: IovecSource): number => {
      stream.fdflags = FdFlags.NONBLOCK;
      return (flags.peek ? stream.peek(views) : stream.read(views)) as number;
    };
    const ready = (): Promise<void> => stream.whenReadable();
    const timeout = this.receiveTimeoutMs();
    const wrap = (n: number | Promise<number>): Received | Promise<Received> =>
      n instanceof Promise ? n.then((count) => ({ n: count, truncated: false })) : { n, truncated: false };
    if (!flags.waitAll || flags.peek) return wrap(retrying(() => once(iovs), ready, this.nonblocking, timeout));
    return wrap(this.#receiveAll(iovs, once, ready, timeout));
  }

  /** MSG_WAITALL: reads until the buffers are full, the peer ends the stream, or a timeout. */
  async #receiveAll(iovs: IovecSource, once: (views: IovecSource) => number, ready: () => Promise<void>, timeout?: number): Promise<number> {
    const total = totalLength(iovs());
    let done = 0;
    while (done < total) {
      const rest = (): Uint8Array[] => skipBytes(iovs(), done);
      let n: number;
      try {
        n = await retrying(() => once(rest), ready, this.nonblocking, timeout);
      } catch (error) {
        if (done > 0) break;
        throw error;
      }
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  override send(data: Uint8Array[], _to?: SocketAddress): number | Promise<number> {
    const state = this.#state;
    if (state.kind === 'connecting') {
      if (this.nonblocking) return fail(Errno.AGAIN);
      return state.done.then(() => this.send(data));
    }
    if (state.kind !== 'connected') return fail(Errno.PIPE);
    const { stream } = state;
    const once = (): number => {
      stream.fdflags = FdFlags.NONBLOCK;
      return stream.write(data) as number;
    };
    return retrying(once, () => stream.whenWritable(), this.nonblocking);
  }

  override shutdown(read: boolean, write: boolean): void {
    const state = this.#state;
    if (state.kind !== 'connected') fail(Errno.NOTCONN);
    state.stream.shutdown(read, write);
  }

  override localAddress(): SocketAddress {
    const state = this.#state;
    if (state.kind === 'listening') return state.listener.address();
    if (state.kind === 'connected') return socketAddressOf(state.socket.localAddress, state.socket.localPort, this.family);
    return this.#bound ?? anyAddress(this.family);
  }

  override peerAddress(): SocketAddress {
    const state = this.#state;
    if (state.kind !== 'connected' || state.socket.remoteAddress === undefined) return fail(Errno.NOTCONN);
    return socketAddressOf(state.socket.remoteAddress, state.socket.remotePort, this.family);
  }

  protected override applyOption(name: number, _value: Uint8Array): void {
    const state = this.#state;
    if (name === SockOpt.KEEPALIVE && state.kind === 'connected') state.socket.setKeepAlive(this.flag(name));
  }

  override readReadiness(): Readiness | undefined {
    const state = this.#state;
    switch (state.kind) {
      case 'connected':
        return state.stream.readReadiness();
      case 'listening': {
        const { listener } = state;
        if (listener.waiting > 0) return { nbytes: BigInt(listener.waiting), hangup: false };
        return listener.errno === undefined ? undefined : { nbytes: 0n, hangup: false, errno: listener.errno };
      }
      case 'connecting':
        return undefined;
      default:
        return HANGUP;
    }
  }

  override writeReadiness(): Readiness | undefined {
    const state = this.#state;
    switch (state.kind) {
      case 'connected':
        return state.stream.writeReadiness();
      case 'listening':
      case 'connecting':
        return undefined;
      default:
        return HANGUP;
    }
  }

  override whenReadable(): Promise<void> {
    const state = this.#state;
    if (state.kind === 'connected') return state.stream.whenReadable();
    if (state.kind === 'listening') return state.listener.whenArrived();
    return this.#changed.wait();
  }

  override whenWritable(): Promise<void> {
    const state = this.#state;
    if (state.kind === 'connected') return state.stream.whenWritable();
    return this.#changed.wait();
  }

  override onReadable(wake: () => void): () => void {
    const state = this.#state;
    if (state.kind === 'connected') return state.stream.onReadable(wake);
    if (state.kind === 'listening') return state.listener.onArrival(wake);
    return this.#changed.subscribe(wake);
  }

  override onWritable(wake: () => void): () => void {
    const state = this.#state;
    if (state.kind === 'connected') return state.stream.onWritable(wake);
    return this.#changed.subscribe(wake);
  }

  override close(): void | Promise<void> {
    const state = this.#state;
    this.#state = { kind: 'closed' };
    this.#changed.notify();
    switch (state.kind) {
      case 'connected':
        return state.stream.close();
      case 'connecting':
        state.socket.destroy();
        return;
      case 'listening':
        state.listener.close();
        return;
      default:
        return;
    }
  }

  #becomeConnected(socket: net.Socket): void {
    const stream = new StreamDescriptor(socket, { hostFd: -1, readable: true, writable: true, filetype: Filetype.SOCKET_STREAM, rights: STREAM_RIGHTS });
    this.#state = { kind: 'connected', socket, stream };
    if (this.flag(SockOpt.KEEPALIVE)) socket.setKeepAlive(true);
    // Accepted connections wait paused (pauseOnConnect); the guest owns this one now.
    socket.resume();
  }
}
