import dgram from 'node:dgram';
import { Filetype } from './abi.js';
import type { IovecSource, Readiness } from './descriptor.js';
import { Errno, WasiError, errnoOf, fail } from './errno.js';
import { type Family, type SocketAddress, SockType, anyAddress, socketAddressOf } from './ip-address.js';
import { scatter, totalLength } from './memory-view.js';
import { type Received, type RecvFlags, SockOpt, SocketDescriptor, retrying } from './socket-descriptor.js';
import { Notifier } from './stream-descriptor.js';

interface Datagram {
  data: Buffer;
  from: SocketAddress;
}

/** Bytes of datagrams held for the guest before new ones are dropped, as a full receive buffer drops them. */
const RECEIVE_BUFFER_BYTES = 1024 * 1024;
/** The largest UDP payload (65535 - 8 header - 20 IPv4 header). */
const MAX_DATAGRAM = 65_507;

/**
 * A UDP socket on a dgram.Socket. Datagrams that arrive are queued (bounded)
 * until the guest receives them; sends are handed to libuv at once, and an
 * error it reports later (an ICMP refusal on a connected socket) becomes the
 * socket's pending error, as on Linux.
 */
export class UdpSocketDescriptor extends SocketDescriptor {
  readonly filetype = Filetype.SOCKET_DGRAM;
  readonly sockType = SockType.DGRAM;
  readonly #socket: dgram.Socket;
  readonly #queue: Datagram[] = [];
  #queuedBytes = 0;
  readonly #arrivals = new Notifier();
  #bound = false;
  #binding: Promise<void> | undefined;
  #peer: SocketAddress | undefined;
  #closed = false;

  constructor(family: Family) {
    super(family);
    this.#socket = dgram.createSocket({ type: family === 'inet4' ? 'udp4' : 'udp6', ipv6Only: false });
    this.#socket.on('message', (data, rinfo) => this.#enqueue(data, socketAddressOf(rinfo.address, rinfo.port, family)));
    this.#socket.on('error', (error) => {
      this.setPendingError(errnoOf(error) ?? Errno.IO);
      this.#arrivals.notify();
    });
    this.#socket.on('listening', () => {
      this.#bound = true;
      if (this.flag(SockOpt.BROADCAST)) this.#socket.setBroadcast(true);
    });
  }

  override bind(address: SocketAddress): Promise<void> {
    if (address.family !== this.family) fail(Errno.AFNOSUPPORT);
    if (this.#bound || this.#binding !== undefined) fail(Errno.INVAL);
    return this.#bindTo(address);
  }

  #bindTo(address: SocketAddress): Promise<void> {
    this.#binding = new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => {
        this.#binding = undefined;
        this.takeError();
        reject(new WasiError(errnoOf(error) ?? Errno.IO, error.message));
      };
      this.#socket.once('error', onError);
      this.#socket.bind({ address: address.address, port: address.port, exclusive: true }, () => {
        this.#socket.off('error', onError);
        resolve();
      });
    });
    return this.#binding;
  }

  /** Like Linux, a socket that sends or connects before binding gets a wildcard address and a free port. */
  #ensureBound(): void | Promise<void> {
    if (this.#bound) return;
    return this.#binding ?? this.#bindTo(anyAddress(this.family));
  }

  override connect(address: SocketAddress): Promise<void> {
    if (address.family !== this.family) fail(Errno.AFNOSUPPORT);
    return (async () => {
      await this.#ensureBound();
      if (this.#peer !== undefined) this.#socket.disconnect();
      await new Promise<void>((resolve, reject) => {
        const onError = (error: Error): void => reject(new WasiError(errnoOf(error) ?? Errno.IO, error.message));
        this.#socket.once('error', onError);
        this.#socket.connect(address.port, address.address, () => {
          this.#socket.off('error', onError);
          resolve();
        });
      });
      this.#peer = address;
    })();
  }

  override recv(iovs: IovecSource, flags: RecvFlags): Received | Promise<Received> {
    const once = (): Received => {
      const datagram = this.#queue[0];
      if (datagram === undefined) {
        const errno = this.takeError();
        return fail(errno !== 0 ? errno : Errno.AGAIN);
      }
      if (!flags.peek) {
        this.#queue.shift();
        this.#queuedBytes -= datagram.data.length;
      }
      const views = iovs();
      const n = scatter(datagram.data, views);
      return { n, truncated: n < datagram.data.length, from: datagram.from };
    };
    return retrying(once, () => this.#arrivals.wait(), this.nonblocking, this.receiveTimeoutMs());
  }

  override send(data: Uint8Array[], to?: SocketAddress): number | Promise<number> {
    if (this.#closed) return fail(Errno.BADF);
    const target = to ?? this.#peer;
    if (target === undefined) return fail(Errno.DESTADDRREQ);
    if (target.family !== this.family) return fail(Errno.AFNOSUPPORT);
    const pending = this.takeError();
    if (pending !== 0) return fail(pending);
    const length = totalLength(data);
    if (length > MAX_DATAGRAM) return fail(Errno.MSGSIZE);
    const payload = Buffer.concat(data);
    const sent = (): number => {
      const onSent = (error: Error | null): void => {
        if (error !== null) this.setPendingError(errnoOf(error) ?? Errno.IO);
      };
      if (to === undefined || this.#peer !== undefined) this.#socket.send(payload, onSent);
      else this.#socket.send(payload, target.port, target.address, onSent);
      return length;
    };
    const bound = this.#ensureBound();
    return bound instanceof Promise ? bound.then(sent) : sent();
  }

  override shutdown(_read: boolean, _write: boolean): void {
    if (this.#peer === undefined) fail(Errno.NOTCONN);
  }

  override localAddress(): SocketAddress {
    if (!this.#bound) return anyAddress(this.family);
    const { address, port } = this.#socket.address();
    return socketAddressOf(address, port, this.family);
  }

  override peerAddress(): SocketAddress {
    return this.#peer ?? fail(Errno.NOTCONN);
  }

  protected override applyOption(name: number, value: Uint8Array): void {
    if (!this.#bound) return; // applied once bound (BROADCAST); buffer sizes need a bound socket in Node
    const int = new DataView(value.buffer, value.byteOffset, value.byteLength).getInt32(0, true);
    try {
      if (name === SockOpt.BROADCAST) this.#socket.setBroadcast(int !== 0);
      else if (name === SockOpt.RCVBUF && int > 0) this.#socket.setRecvBufferSize(int);
      else if (name === SockOpt.SNDBUF && int > 0) this.#socket.setSendBufferSize(int);
    } catch (error) {
      throw new WasiError(errnoOf(error) ?? Errno.INVAL);
    }
  }

  override readReadiness(): Readiness | undefined {
    const next = this.#queue[0];
    if (next !== undefined) return { nbytes: BigInt(next.data.length), hangup: false };
    return undefined;
  }

  override writeReadiness(): Readiness | undefined {
    return { nbytes: BigInt(MAX_DATAGRAM), hangup: false };
  }

  override whenReadable(): Promise<void> {
    return this.#arrivals.wait();
  }

  override whenWritable(): Promise<void> {
    return Promise.resolve();
  }

  override onReadable(wake: () => void): () => void {
    return this.#arrivals.subscribe(wake);
  }

  override onWritable(_wake: () => void): () => void {
    return () => {}; // always writable: poll never waits on it
  }

  override close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.length = 0;
    try {
      this.#socket.close();
    } catch {
      // never bound: nothing to close
    }
    this.#arrivals.notify();
  }

  #enqueue(data: Buffer, from: SocketAddress): void {
    if (this.#queuedBytes + data.length > RECEIVE_BUFFER_BYTES) return;
    this.#queue.push({ data, from });
    this.#queuedBytes += data.length;
    this.#arrivals.notify();
  }
}
