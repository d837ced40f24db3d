/**
 * WASI preview 1 errno values (witx `$errno`, wasi_snapshot_preview1) and the
 * mapping from Node's system error codes to them.
 */

export const Errno = {
  SUCCESS: 0,
  TOOBIG: 1,
  ACCES: 2,
  ADDRINUSE: 3,
  ADDRNOTAVAIL: 4,
  AFNOSUPPORT: 5,
  AGAIN: 6,
  ALREADY: 7,
  BADF: 8,
  BADMSG: 9,
  BUSY: 10,
  CANCELED: 11,
  CHILD: 12,
  CONNABORTED: 13,
  CONNREFUSED: 14,
  CONNRESET: 15,
  DEADLK: 16,
  DESTADDRREQ: 17,
  DOM: 18,
  DQUOT: 19,
  EXIST: 20,
  FAULT: 21,
  FBIG: 22,
  HOSTUNREACH: 23,
  IDRM: 24,
  ILSEQ: 25,
  INPROGRESS: 26,
  INTR: 27,
  INVAL: 28,
  IO: 29,
  ISCONN: 30,
  ISDIR: 31,
  LOOP: 32,
  MFILE: 33,
  MLINK: 34,
  MSGSIZE: 35,
  MULTIHOP: 36,
  NAMETOOLONG: 37,
  NETDOWN: 38,
  NETRESET: 39,
  NETUNREACH: 40,
  NFILE: 41,
  NOBUFS: 42,
  NODEV: 43,
  NOENT: 44,
  NOEXEC: 45,
  NOLCK: 46,
  NOLINK: 47,
  NOMEM: 48,
  NOMSG: 49,
  NOPROTOOPT: 50,
  NOSPC: 51,
  NOSYS: 52,
  NOTCONN: 53,
  NOTDIR: 54,
  NOTEMPTY: 55,
  NOTRECOVERABLE: 56,
  NOTSOCK: 57,
  NOTSUP: 58,
  NOTTY: 59,
  NXIO: 60,
  OVERFLOW: 61,
  OWNERDEAD: 62,
  PERM: 63,
  PIPE: 64,
  PROTO: 65,
  PROTONOSUPPORT: 66,
  PROTOTYPE: 67,
  RANGE: 68,
  ROFS: 69,
  SPIPE: 70,
  SRCH: 71,
  STALE: 72,
  TIMEDOUT: 73,
  TXTBSY: 74,
  XDEV: 75,
  NOTCAPABLE: 76,
} as const;

export type ErrnoValue = (typeof Errno)[keyof typeof Errno];

/**
 * Thrown inside the host to return an errno to the guest. The import wrapper
 * catches it; it never leaves src/wasi.
 */
export class WasiError extends Error {
  readonly errno: number;

  constructor(errno: number, message?: string) {
    // No stack: it never leaves src/wasi, and EAGAIN on a busy socket is thrown
    // thousands of times a second (capturing one costs ~4 µs, the rest ~0.5).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message ?? `wasi errno ${errno}`);
    Error.stackTraceLimit = limit;
    this.name = 'WasiError';
    this.errno = errno;
  }
}

/** Shorthand for `throw new WasiError(errno)` in expression position. */
export function fail(errno: number): never {
  throw new WasiError(errno);
}

// Node's `error.code` names are the POSIX names; most map by name.
const BY_NODE_CODE: Record<string, number> = (() => {
  const table: Record<string, number> = {};
  for (const [name, value] of Object.entries(Errno)) table[`E${name}`] = value;
  table.EWOULDBLOCK = Errno.AGAIN;
  table.EOPNOTSUPP = Errno.NOTSUP;
  table.ENOTSUP = Errno.NOTSUP;
  table.EDEADLOCK = Errno.DEADLK;
  table.EPIPE = Errno.PIPE;
  table.ERR_STREAM_DESTROYED = Errno.PIPE;
  table.ERR_STREAM_WRITE_AFTER_END = Errno.PIPE;
  table.ERR_INVALID_ARG_VALUE = Errno.INVAL;
  // An offset or size beyond what Node takes (2^53): what lseek/ftruncate say for one beyond the file system's.
  table.ERR_OUT_OF_RANGE = Errno.INVAL;
  return table;
})();

/** The errno for an error thrown by Node's fs/net; `undefined` if it is not a system error. */
export function errnoOf(error: unknown): number | undefined {
  if (error instanceof WasiError) return error.errno;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  return BY_NODE_CODE[code] ?? Errno.IO;
}
