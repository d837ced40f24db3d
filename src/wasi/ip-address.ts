import net from 'node:net';
import { Errno, fail } from './errno.js';
import type { MemoryView } from './memory-view.js';

/**
 * Socket addresses as the WasmEdge socket extension passes them
 * (second-state/wasmedge_wasi_socket, WasmEdge lib/host/wasi/wasifunc.cpp):
 * an `address` record `{u32 buf, u32 buf_len}` whose bytes are the raw IP in
 * network order (4 or 16 bytes), or, for the "V2" functions, a 128-byte
 * address storage: u16 family (little-endian) then the IP.
 */

/** `address_family` (u8). */
export const AddressFamily = { UNSPEC: 0, INET4: 1, INET6: 2, UNIX: 3 } as const;
/** `sock_type` (u8). */
export const SockType = { ANY: 0, DGRAM: 1, STREAM: 2 } as const;

export const ADDRESS_RECORD_SIZE = 8;
/** buf_len of an address storage (WasmEdge `WasiAddrStorage`). */
export const ADDRESS_STORAGE_SIZE = 128;
const STORAGE_HEADER = 2;

export type Family = 'inet4' | 'inet6';

/** An IP socket address with the IP as Node writes it ('127.0.0.1', '::1'). */
export interface SocketAddress {
  family: Family;
  address: string;
  port: number;
}

export function familyOf(code: number): Family {
  if (code === AddressFamily.INET4) return 'inet4';
  if (code === AddressFamily.INET6) return 'inet6';
  return fail(code === AddressFamily.UNIX ? Errno.NOSYS : Errno.INVAL);
}

export function familyCode(family: Family): number {
  return family === 'inet4' ? AddressFamily.INET4 : AddressFamily.INET6;
}

/** The wildcard address of a family, what an unbound socket reports. */
export function anyAddress(family: Family, port = 0): SocketAddress {
  return { family, address: family === 'inet4' ? '0.0.0.0' : '::', port };
}

export function ipToString(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] as number) << 8) | (bytes[i + 1] as number)).toString(16));
  return groups.join(':');
}

/** Raw network-order bytes of an IP string (IPv4, IPv6, IPv6 with a dotted tail, with or without a %zone). */
export function ipToBytes(ip: string): Uint8Array {
  const address = ip.split('%')[0] as string;
  if (net.isIPv4(address)) return Uint8Array.from(address.split('.').map(Number));
  if (!net.isIPv6(address)) return fail(Errno.INVAL);
  const out = new Uint8Array(16);
  let text = address;
  const tail: number[] = [];
  const dotted = text.lastIndexOf(':');
  if (text.includes('.')) {
    for (const part of text.slice(dotted + 1).split('.')) tail.push(Number(part));
    text = `${text.slice(0, dotted + 1)}0:0`;
  }
  const [head, rest] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const front = parse(head);
  const back = rest === undefined ? [] : parse(rest);
  const groups = [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  if (tail.length === 4) out.set(tail, 12);
  return out;
}

/** Node reports IPv4 peers of a dual-stack IPv6 socket as ::ffff:a.b.c.d; the family is the socket's. */
export function socketAddressOf(address: string | undefined, port: number | undefined, family: Family): SocketAddress {
  if (address === undefined || address === '') return anyAddress(family);
  if (family === 'inet4' && address.startsWith('::ffff:') && net.isIPv4(address.slice(7))) {
    return { family, address: address.slice(7), port: port ?? 0 };
  }
  if (family === 'inet6' && net.isIPv4(address)) return { family, address: `::ffff:${address}`, port: port ?? 0 };
  return { family, address, port: port ?? 0 };
}

/** A guest `address` record: where its bytes are and how many. */
export interface AddressBuffer {
  ptr: number;
  length: number;
}

export function readAddressRecord(memory: MemoryView, recordPtr: number): AddressBuffer {
  const ptr = memory.u32(recordPtr);
  const length = memory.u32(recordPtr + 4);
  memory.check(ptr, length);
  return { ptr, length };
}

/** The socket address a guest passes to bind/connect/send_to: 4 or 16 raw bytes, or an address storage. */
export function readSocketAddress(memory: MemoryView, recordPtr: number, port: number): SocketAddress {
  const { ptr, length } = readAddressRecord(memory, recordPtr);
  const p = port & 0xffff;
  if (length === 4) return { family: 'inet4', address: ipToString(memory.slice(ptr, 4)), port: p };
  if (length === 16) return { family: 'inet6', address: ipToString(memory.slice(ptr, 16)), port: p };
  if (length === ADDRESS_STORAGE_SIZE) {
    const family = familyOf(memory.u16(ptr));
    const size = family === 'inet4' ? 4 : 16;
    return { family, address: ipToString(memory.slice(ptr + STORAGE_HEADER, size)), port: p };
  }
  return fail(Errno.INVAL);
}

/**
 * Fills a guest address buffer with an address: the raw IP into a 4- or
 * 16-byte buffer (too small for the address is ENOMEM, as WasmEdge says), or
 * family and IP into an address storage when `storage` allows that form.
 */
export function writeSocketAddress(memory: MemoryView, buffer: AddressBuffer, address: SocketAddress, storage: boolean): void {
  const ip = ipToBytes(address.address);
  if (storage && buffer.length === ADDRESS_STORAGE_SIZE) {
    memory.write(buffer.ptr, new Uint8Array(ADDRESS_STORAGE_SIZE));
    memory.setU16(buffer.ptr, familyCode(address.family));
    memory.write(buffer.ptr + STORAGE_HEADER, ip);
    return;
  }
  if (buffer.length < ip.length) fail(Errno.NOMEM);
  memory.write(buffer.ptr, ip);
}
