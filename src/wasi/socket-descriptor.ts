import { FdFlags, STREAM_RIGHTS } from './abi.js';
import { Descriptor, type Filestat, type IovecSource } from './descriptor.js';
import { Errno, WasiError, fail } from './errno.js';
import { type Family, type SocketAddress, SockType } from './ip-address.js';

/** What a receive produced: bytes copied, whether a datagram was cut short, and who sent it. */
export interface Received {
  n: number;
  truncated: boolean;
  from?: SocketAddress;
}

export interface RecvFlags {
  peek: boolean;
  waitAll: boolean;
}

/** `sock_opt_so` names (WasmEdge thirdparty/wasi/api.hpp, level 0 = SOL_SOCKET). */
export const SockOpt = {
  REUSEADDR: 0,
  TYPE: 1,
  ERROR: 2,
  DONTROUTE: 3,
  BROADCAST: 4,
  SNDBUF: 5,
  RCVBUF: 6,
  KEEPALIVE: 7,
  OOBINLINE: 8,
  LINGER: 9,
  RCVLOWAT: 10,
  RCVTIMEO: 11,
  SNDTIMEO: 12,
  ACCEPTCONN: 13,
  BINDTODEVICE: 14,
} as const;
export const SOL_SOCKET = 0;

/** Linux's defaults for the options a guest may read before setting them (net.core.*mem_default). */
const DEFAULT_BUFFER_SIZE = 212_992;
/** wasm32 `struct timeval` (i64 tv_sec, i64 tv_usec) and `struct linger` (i32, i32). */
const TIMEVAL_SIZE = 16;
const LINGER_SIZE = 8;

function int32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setInt32(0, value, true);
  return bytes;
}

/**
 * A socket the guest opened (sock_open) or accepted: a TCP or UDP socket
 * built on Node's net/dgram, never a raw fd, so every wait is on the event
 * loop and the guest is suspended through JSPI meanwhile. Operations a kind
 * of socket does not support fail with the errno Linux gives.
 */
export abstract class SocketDescriptor extends Descriptor {
  abstract readonly sockType: number;
  readonly family: Family;
  readonly #options = new Map<number, Uint8Array>();
  #pendingError: number | undefined;

  constructor(family: Family) {
    super(STREAM_RIGHTS, STREAM_RIGHTS);
    this.family = family;
  }

  get nonblocking(): boolean {
    return (this.fdflags & FdFlags.NONBLOCK) !== 0;
  }

  bind(_address: SocketAddress): void | Promise<void> {
    return fail(Errno.INVAL);
  }
  listen(_backlog: number): void | Promise<void> {
    return fail(Errno.NOTSUP);
  }
  accept(): SocketDescriptor | Promise<SocketDescriptor> {
    return fail(Errno.NOTSUP);
  }
  connect(_address: SocketAddress): void | Promise<void> {
    return fail(Errno.NOTSUP);
  }
  abstract recv(iovs: IovecSource, flags: RecvFlags): Received | Promise<Received>;
  /** Sends; `to` is the destination of sock_send_to. */
  abstract send(data: Uint8Array[], to?: SocketAddress): number | Promise<number>;
  abstract shutdown(read: boolean, write: boolean): void;
  abstract localAddress(): SocketAddress;
  abstract peerAddress(): SocketAddress;
  get listening(): boolean {
    return false;
  }

  override read(iovs: IovecSource): number | Promise<number> {
    const received = this.recv(iovs, { peek: false, waitAll: false });
    return received instanceof Promise ? received.then((r) => r.n) : received.n;
  }

  override write(iovs: Uint8Array[]): number | Promise<number> {
    return this.send(iovs);
  }

  override stat(): Filestat {
    return { dev: 0n, ino: 0n, filetype: this.filetype, nlink: 1n, size: 0n, atim: 0n, mtim: 0n, ctim: 0n };
  }

  /** Remembers an error that happened in the background, for SO_ERROR (and, like Linux, the next call). */
  protected setPendingError(errno: number): void {
    this.#pendingError = errno;
  }

  /** SO_ERROR: the pending error, cleared by reading it. */
  takeError(): number {
    const errno = this.#pendingError ?? 0;
    this.#pendingError = undefined;
    return errno;
  }

  /** The option's value as getsockopt returns it. */
  getOption(name: number): Uint8Array {
    switch (name) {
      case SockOpt.TYPE:
        return int32(this.sockType);
      case SockOpt.ERROR:
        return int32(this.takeError());
      case SockOpt.ACCEPTCONN:
        return int32(this.listening ? 1 : 0);
      case SockOpt.SNDBUF:
      case SockOpt.RCVBUF:
        return this.#options.get(name) ?? int32(DEFAULT_BUFFER_SIZE);
      case SockOpt.RCVLOWAT:
        return this.#options.get(name) ?? int32(1);
      case SockOpt.LINGER:
        return this.#options.get(name) ?? new Uint8Array(LINGER_SIZE);
      case SockOpt.RCVTIMEO:
      case SockOpt.SNDTIMEO:
        return this.#options.get(name) ?? new Uint8Array(TIMEVAL_SIZE);
      case SockOpt.BINDTODEVICE:
        return this.#options.get(name) ?? new Uint8Array(0);
      default:
        if (name > SockOpt.BINDTODEVICE) return fail(Errno.INVAL);
        return this.#options.get(name) ?? int32(0);
    }
  }

  /** setsockopt: values are remembered; the ones Node can apply are applied by the subclass. */
  setOption(name: number, value: Uint8Array): void {
    switch (name) {
      case SockOpt.TYPE:
      case SockOpt.ERROR:
      case SockOpt.ACCEPTCONN:
        return fail(Errno.NOPROTOOPT);
      case SockOpt.RCVTIMEO:
      case SockOpt.SNDTIMEO:
        if (value.length < TIMEVAL_SIZE) fail(Errno.INVAL);
        break;
      case SockOpt.LINGER:
        if (value.length < LINGER_SIZE) fail(Errno.INVAL);
        break;
      case SockOpt.BINDTODEVICE:
        return fail(Errno.PERM);
      default:
        if (name > SockOpt.BINDTODEVICE) fail(Errno.INVAL);
        if (value.length < 4) fail(Errno.INVAL);
    }
    this.#options.set(name, Uint8Array.from(value));
    this.applyOption(name, value);
  }

  /** Lets a subclass apply an option to its Node socket. */
  protected applyOption(_name: number, _value: Uint8Array): void {}

  protected flag(name: number): boolean {
    const value = this.#options.get(name);
    return value !== undefined && new DataView(value.buffer, value.byteOffset, value.byteLength).getInt32(0, true) !== 0;
  }

  /** SO_RCVTIMEO in milliseconds, undefined for none. */
  protected receiveTimeoutMs(): number | undefined {
    const value = this.#options.get(SockOpt.RCVTIMEO);
    if (value === undefined) return undefined;
    const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
    const ms = Number(view.getBigInt64(0, true)) * 1000 + Number(view.getBigInt64(8, true)) / 1000;
    return ms > 0 ? Math.max(1, Math.round(ms)) : undefined;
  }
}

export function isStream(d: SocketDescriptor): boolean {
  return d.sockType === SockType.STREAM;
}

/**
 * Runs a non-blocking `attempt`; when it fails with EAGAIN and the socket is
 * blocking, waits for `ready` (and at most `timeoutMs`, then EAGAIN as
 * SO_RCVTIMEO gives) and tries again. No Promise when no wait was needed.
 */
export function retrying<T>(attempt: () => T, ready: () => Promise<void>, nonblocking: boolean, timeoutMs?: number): T | Promise<T> {
  try {
    return attempt();
  } catch (error) {
    if (nonblocking || !isAgain(error)) throw error;
  }
  const deadline = timeoutMs === undefined ? undefined : performance.now() + timeoutMs;
  return (async () => {
    for (;;) {
      await (deadline === undefined ? ready() : raceTimer(ready(), deadline - performance.now()));
      try {
        return attempt();
      } catch (error) {
        if (!isAgain(error) || (deadline !== undefined && performance.now() >= deadline)) throw error;
      }
    }
  })();
}

function isAgain(error: unknown): boolean {
  return error instanceof WasiError && error.errno === Errno.AGAIN;
}

async function raceTimer(ready: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms))));
  try {
    await Promise.race([ready, elapsed]);
  } finally {
    clearTimeout(timer);
  }
}
