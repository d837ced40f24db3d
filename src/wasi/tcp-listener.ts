import net from 'node:net';
import { Errno, WasiError, errnoOf, fail } from './errno.js';
import { type Family, type SocketAddress, socketAddressOf } from './ip-address.js';
import { Notifier } from './stream-descriptor.js';

/** Linux's SOMAXCONN: the most connections that wait for accept. */
const MAX_BACKLOG = 4096;
/** Connections held for the guest even when it asked for a tiny backlog (Linux rounds small backlogs up too). */
const MIN_BACKLOG = 128;

/**
 * A listening TCP socket as a net.Server. libuv accepts in the background;
 * connections wait here, not yet reading (pauseOnConnect), until the guest
 * takes them with accept. Past the backlog, new connections are refused.
 */
export class TcpListener {
  readonly server: net.Server;
  /** The family of the socket the guest sees (an IPv6 listener also takes IPv4 peers, as ::ffff:a.b.c.d). */
  readonly family: Family;
  readonly #queue: { socket: net.Socket; onClose: () => void }[] = [];
  readonly #arrivals = new Notifier();
  #limit: number;
  #errno: number | undefined;

  constructor(server: net.Server, backlog: number, family: Family) {
    this.server = server;
    this.family = family;
    this.#limit = clampBacklog(backlog);
    server.on('connection', (socket) => this.#enqueue(socket));
    server.on('error', (error) => {
      this.#errno = errnoOf(error) ?? Errno.IO;
      this.#arrivals.notify();
    });
  }

  set backlog(backlog: number) {
    this.#limit = clampBacklog(backlog);
  }

  /** The next waiting connection, resumed (reading); EAGAIN if none. */
  take(): net.Socket {
    const entry = this.#queue.shift();
    if (entry === undefined) {
      if (this.#errno !== undefined) return fail(this.#errno);
      return fail(Errno.AGAIN);
    }
    entry.socket.off('close', entry.onClose);
    return entry.socket;
  }

  get waiting(): number {
    return this.#queue.length;
  }

  get errno(): number | undefined {
    return this.#errno;
  }

  whenArrived(): Promise<void> {
    return this.#arrivals.wait();
  }

  onArrival(wake: () => void): () => void {
    return this.#arrivals.subscribe(wake);
  }

  address(): SocketAddress {
    const bound = this.server.address();
    if (bound === null || typeof bound === 'string') return fail(Errno.INVAL);
    return socketAddressOf(bound.address, bound.port, this.family);
  }

  close(): void {
    for (const { socket } of this.#queue.splice(0)) socket.destroy();
    this.server.close();
  }

  #enqueue(socket: net.Socket): void {
    if (this.#queue.length >= this.#limit) {
      socket.destroy();
      return;
    }
    // Nothing reads a waiting connection; a reset before accept just drops it.
    socket.on('error', () => {});
    const onClose = (): void => {
      const index = this.#queue.findIndex((e) => e.socket === socket);
      if (index !== -1) this.#queue.splice(index, 1);
    };
    socket.once('close', onClose);
    this.#queue.push({ socket, onClose });
    this.#arrivals.notify();
  }
}

function clampBacklog(backlog: number): number {
  return Math.min(Math.max(backlog | 0, MIN_BACKLOG), MAX_BACKLOG);
}

/**
 * Starts listening on `address` (port 0 picks one); rejects with the errno
 * (EADDRINUSE, EADDRNOTAVAIL, EACCES...) as a WasiError.
 */
export function listenTcp(address: SocketAddress, backlog = MIN_BACKLOG): Promise<TcpListener> {
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      server.close();
      reject(new WasiError(errnoOf(error) ?? Errno.IO, error.message));
    };
    server.once('error', onError);
    server.listen({ host: address.address, port: address.port, backlog: clampBacklog(backlog), ipv6Only: false, exclusive: true }, () => {
      server.off('error', onError);
      resolve(new TcpListener(server, backlog, address.family));
    });
  });
}
