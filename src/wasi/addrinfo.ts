import dns from 'node:dns';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { Errno, WasiError, fail } from './errno.js';
import { AddressFamily, SockType, ipToBytes } from './ip-address.js';
import type { MemoryView } from './memory-view.js';
import { type GuestFileReader, ResolveError, containerLookup } from './name-resolver.js';

/**
 * sock_getaddrinfo of the WasmEdge socket extension. The guest preallocates a
 * linked list of `max_res_len` addrinfo records (each with its sockaddr, its
 * sa_data and canonname buffers); the host fills the first `*res_len`.
 * Layouts and error codes: WasmEdge thirdparty/wasi/api.hpp.
 */

/** getaddrinfo errors, numbered after the preview 1 errnos (WasmEdge's extension). */
export const AiErrno = {
  ADDRFAMILY: 77,
  AGAIN: 78,
  BADFLAG: 79,
  FAIL: 80,
  FAMILY: 81,
  MEMORY: 82,
  NODATA: 83,
  NONAME: 84,
  SERVICE: 85,
  SOCKTYPE: 86,
  SYSTEM: 87,
} as const;

export const AiFlags = { PASSIVE: 1, CANONNAME: 2, NUMERICHOST: 4, NUMERICSERV: 8, V4MAPPED: 16, ALL: 32, ADDRCONFIG: 64 } as const;
const Protocol = { IP: 0, TCP: 1, UDP: 2 } as const;

/** `addrinfo`: u16 flags, u8 family, u8 socktype, u8 protocol, pad, u32 addrlen, u32 *addr, u32 *canonname, u32 canonname_len, u32 *next. */
const AddrinfoOffset = { FLAGS: 0, FAMILY: 2, SOCKTYPE: 3, PROTOCOL: 4, ADDRLEN: 8, ADDR: 12, CANONNAME: 16, CANONNAME_LEN: 20, NEXT: 24 } as const;
/** `sockaddr`: u8 family, pad, u32 sa_data_len, u32 *sa_data. */
const SockaddrOffset = { FAMILY: 0, DATA_LEN: 4, DATA: 8 } as const;
/** sizeof(sockaddr_in) and sizeof(sockaddr_in6), as Linux reports ai_addrlen. */
const SOCKADDR_IN_SIZE = 16;
const SOCKADDR_IN6_SIZE = 28;

interface Hints {
  flags: number;
  family: number;
  socktype: number;
  protocol: number;
}

interface Result {
  family: number;
  socktype: number;
  protocol: number;
  address: string;
  port: number;
}

function readHints(memory: MemoryView, ptr: number): Hints {
  return {
    flags: memory.u16(ptr + AddrinfoOffset.FLAGS),
    family: memory.u8(ptr + AddrinfoOffset.FAMILY),
    socktype: memory.u8(ptr + AddrinfoOffset.SOCKTYPE),
    protocol: memory.u8(ptr + AddrinfoOffset.PROTOCOL),
  };
}

/** Checks what WasmEdge checks before resolving; returns the error code or undefined. */
function invalidRequest(node: string, service: string, hints: Hints, maxResults: number): number | undefined {
  if (node === '' && service === '') return AiErrno.NONAME;
  if (maxResults < 1) return AiErrno.MEMORY;
  if ((hints.flags & ~0x7f) !== 0) return AiErrno.BADFLAG;
  if ((hints.flags & AiFlags.CANONNAME) !== 0 && node === '') return AiErrno.BADFLAG;
  if (hints.family > AddressFamily.INET6) return AiErrno.FAMILY;
  if (hints.protocol > Protocol.UDP || hints.socktype > SockType.STREAM) return Errno.NOSYS;
  return undefined;
}

let services: Map<string, number> | undefined;

/** A service name or number as a port; names come from the host's /etc/services. */
function portOf(service: string, numericOnly: boolean): number {
  if (service === '') return 0;
  if (/^\d+$/.test(service)) {
    const port = Number(service);
    return port <= 0xffff ? port : fail(AiErrno.SERVICE);
  }
  if (numericOnly) return fail(AiErrno.NONAME);
  if (services === undefined) {
    services = new Map();
    try {
      for (const line of readFileSync('/etc/services', 'utf8').split('\n')) {
        const [name, portProto, ...aliases] = line.replace(/#.*/, '').trim().split(/\s+/);
        const port = Number(portProto?.split('/')[0]);
        if (name === undefined || name === '' || !Number.isInteger(port)) continue;
        for (const n of [name, ...aliases]) if (!services.has(n)) services.set(n, port);
      }
    } catch {
      // no services database: only numbers work
    }
  }
  return services.get(service) ?? fail(AiErrno.SERVICE);
}

const LOOKUP_ERRORS: Record<string, number> = {
  ENOTFOUND: AiErrno.NONAME,
  EAI_NONAME: AiErrno.NONAME,
  EAI_AGAIN: AiErrno.AGAIN,
  EAI_FAIL: AiErrno.FAIL,
  EAI_NODATA: AiErrno.NODATA,
  ENODATA: AiErrno.NODATA,
  EAI_FAMILY: AiErrno.FAMILY,
  EAI_MEMORY: AiErrno.MEMORY,
  EAI_ADDRFAMILY: AiErrno.ADDRFAMILY,
};

async function lookup(node: string, hints: Hints, readFile: GuestFileReader): Promise<{ address: string; family: number }[]> {
  const family = hints.family === AddressFamily.INET4 ? 4 : hints.family === AddressFamily.INET6 ? 6 : 0;
  if (node === '') {
    // No node: the wildcard for a passive (listening) socket, else loopback.
    const passive = (hints.flags & AiFlags.PASSIVE) !== 0;
    const v4 = { address: passive ? '0.0.0.0' : '127.0.0.1', family: 4 };
    const v6 = { address: passive ? '::' : '::1', family: 6 };
    return family === 4 ? [v4] : family === 6 ? [v6] : [v6, v4];
  }
  if (net.isIP(node) !== 0) {
    if (family !== 0 && net.isIP(node) !== family) fail(AiErrno.ADDRFAMILY);
    return [{ address: node, family: net.isIP(node) }];
  }
  if ((hints.flags & AiFlags.NUMERICHOST) !== 0) fail(AiErrno.NONAME);
  try {
    const found = await containerLookup(node, family, readFile);
    if (found !== undefined) return found;
  } catch (error) {
    if (!(error instanceof ResolveError)) throw error;
    throw new WasiError(error.reason === 'noname' ? AiErrno.NONAME : error.reason === 'again' ? AiErrno.AGAIN : AiErrno.FAIL);
  }
  try {
    return await dns.promises.lookup(node, { all: true, family, order: 'verbatim' });
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    throw new WasiError(LOOKUP_ERRORS[code] ?? AiErrno.FAIL);
  }
}

/** Each address once per socket type (and its protocol), as glibc lists them. */
function expand(addresses: { address: string; family: number }[], hints: Hints, port: number): Result[] {
  const kinds =
    hints.socktype === SockType.STREAM || hints.protocol === Protocol.TCP
      ? [[SockType.STREAM, Protocol.TCP]]
      : hints.socktype === SockType.DGRAM || hints.protocol === Protocol.UDP
        ? [[SockType.DGRAM, Protocol.UDP]]
        : [[SockType.STREAM, Protocol.TCP], [SockType.DGRAM, Protocol.UDP]];
  const results: Result[] = [];
  for (const { address, family } of addresses) {
    for (const [socktype, protocol] of kinds) {
      results.push({ family: family === 4 ? AddressFamily.INET4 : AddressFamily.INET6, socktype: socktype as number, protocol: protocol as number, address, port });
    }
  }
  return results;
}

/**
 * sa_data as the kernel lays out a sockaddr after its family: the port
 * (network order), then for IPv4 the address and 8 zero bytes, for IPv6 the
 * flow info, the address and the scope id.
 */
function saData(result: Result): Uint8Array {
  const ip = ipToBytes(result.address);
  const data = new Uint8Array(result.family === AddressFamily.INET4 ? SOCKADDR_IN_SIZE - 2 : SOCKADDR_IN6_SIZE - 2);
  data[0] = result.port >> 8;
  data[1] = result.port & 0xff;
  data.set(ip, result.family === AddressFamily.INET4 ? 2 : 6);
  return data;
}

function store(memory: MemoryView, record: number, result: Result, flags: number, canonname: string | undefined): void {
  memory.setU16(record + AddrinfoOffset.FLAGS, flags);
  memory.setU8(record + AddrinfoOffset.FAMILY, result.family);
  memory.setU8(record + AddrinfoOffset.SOCKTYPE, result.socktype);
  memory.setU8(record + AddrinfoOffset.PROTOCOL, result.protocol);
  memory.setU32(record + AddrinfoOffset.ADDRLEN, result.family === AddressFamily.INET4 ? SOCKADDR_IN_SIZE : SOCKADDR_IN6_SIZE);
  const sockaddr = memory.u32(record + AddrinfoOffset.ADDR);
  memory.setU8(sockaddr + SockaddrOffset.FAMILY, result.family);
  // Never past the buffer the guest gave (WasmEdge copies the whole sa_data regardless).
  const data = saData(result);
  const room = memory.u32(sockaddr + SockaddrOffset.DATA_LEN);
  const n = Math.min(room, data.length);
  memory.write(memory.u32(sockaddr + SockaddrOffset.DATA), data.subarray(0, n));
  memory.setU32(sockaddr + SockaddrOffset.DATA_LEN, n);
  const canonRoom = memory.u32(record + AddrinfoOffset.CANONNAME_LEN);
  if (canonname !== undefined && canonRoom > 0) {
    const name = Buffer.from(`${canonname}\0`).subarray(0, canonRoom);
    memory.write(memory.u32(record + AddrinfoOffset.CANONNAME), name);
    memory.setU32(record + AddrinfoOffset.CANONNAME_LEN, Math.min(canonname.length, canonRoom));
  } else {
    memory.setU32(record + AddrinfoOffset.CANONNAME_LEN, 0);
  }
}

/** The whole call: returns 0 or an errno / getaddrinfo error code. */
export async function getAddrinfo(
  memory: MemoryView,
  readFile: GuestFileReader,
  nodePtr: number,
  nodeLen: number,
  servicePtr: number,
  serviceLen: number,
  hintsPtr: number,
  resPtr: number,
  maxResults: number,
  resLenPtr: number,
): Promise<number> {
  const node = memory.string(nodePtr, nodeLen).replace(/\0.*$/s, '');
  const service = memory.string(servicePtr, serviceLen).replace(/\0.*$/s, '');
  const hints = readHints(memory, hintsPtr);
  memory.check(resLenPtr, 4);
  const invalid = invalidRequest(node, service, hints, maxResults);
  if (invalid !== undefined) return invalid;
  const port = portOf(service, (hints.flags & AiFlags.NUMERICSERV) !== 0);
  const results = expand(await lookup(node, hints, readFile), hints, port).slice(0, maxResults);
  const canonname = (hints.flags & AiFlags.CANONNAME) !== 0 ? node : undefined;
  let record = memory.u32(resPtr);
  let stored = 0;
  for (const result of results) {
    if (record === 0) break; // the guest's list is shorter than it said
    store(memory, record, result, hints.flags, stored === 0 ? canonname : undefined);
    stored += 1;
    record = memory.u32(record + AddrinfoOffset.NEXT);
  }
  memory.setU32(resLenPtr, stored);
  return 0;
}
