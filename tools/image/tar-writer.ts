/**
 * A minimal, deterministic ustar writer: regular files, directories and
 * symlinks, owned by 0:0 with mtime 0. Enough for OCI image layouts and image
 * layers; no PAX or GNU extensions, so names must fit ustar's 100-byte name
 * plus 155-byte prefix.
 *
 * Layout per POSIX.1-1988 ustar (pax(1), "ustar Interchange Format").
 */

import { InvalidArgumentError } from '../../src/errors.js';

export const TAR_BLOCK_SIZE = 512;
const NAME_LENGTH = 100;
const PREFIX_LENGTH = 155;

/** Field offsets and widths in a ustar header. */
const FIELD = {
  name: [0, 100],
  mode: [100, 8],
  uid: [108, 8],
  gid: [116, 8],
  size: [124, 12],
  mtime: [136, 12],
  checksum: [148, 8],
  typeflag: [156, 1],
  linkname: [157, 100],
  magic: [257, 6],
  version: [263, 2],
  uname: [265, 32],
  gname: [297, 32],
  devmajor: [329, 8],
  devminor: [337, 8],
  prefix: [345, 155],
} as const satisfies Record<string, readonly [number, number]>;

const TYPEFLAG = { file: '0', symlink: '2', directory: '5' } as const;

export type TarEntry =
  | { type: 'file'; path: string; data: Uint8Array; mode: number }
  | { type: 'directory'; path: string; mode: number }
  | { type: 'symlink'; path: string; target: string };

/**
 * Serialises entries in the order given, followed by the two zero blocks that
 * end an archive. Directory names get a trailing `/`.
 */
export function writeTar(entries: readonly TarEntry[]): Buffer {
  const chunks: Buffer[] = [];
  for (const entry of entries) {
    const data = entry.type === 'file' ? entry.data : new Uint8Array(0);
    chunks.push(tarHeader(entry, data.length));
    if (data.length > 0) {
      chunks.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      const padding = (TAR_BLOCK_SIZE - (data.length % TAR_BLOCK_SIZE)) % TAR_BLOCK_SIZE;
      if (padding > 0) chunks.push(Buffer.alloc(padding));
    }
  }
  chunks.push(Buffer.alloc(2 * TAR_BLOCK_SIZE));
  return Buffer.concat(chunks);
}

function tarHeader(entry: TarEntry, size: number): Buffer {
  const header = Buffer.alloc(TAR_BLOCK_SIZE);
  const name = entry.type === 'directory' ? `${entry.path.replace(/\/+$/, '')}/` : entry.path;
  const [prefix, shortName] = splitName(name);
  const mode = entry.type === 'symlink' ? 0o777 : entry.mode;

  writeString(header, FIELD.name, shortName);
  writeOctal(header, FIELD.mode, mode & 0o7777);
  writeOctal(header, FIELD.uid, 0);
  writeOctal(header, FIELD.gid, 0);
  writeOctal(header, FIELD.size, size);
  writeOctal(header, FIELD.mtime, 0);
  writeString(header, FIELD.typeflag, TYPEFLAG[entry.type]);
  if (entry.type === 'symlink') writeString(header, FIELD.linkname, entry.target);
  writeString(header, FIELD.magic, 'ustar\0');
  writeString(header, FIELD.version, '00');
  writeOctal(header, FIELD.devmajor, 0);
  writeOctal(header, FIELD.devminor, 0);
  writeString(header, FIELD.prefix, prefix);

  // The checksum is computed with its own field read as eight spaces, then
  // stored as six octal digits, a NUL and a space.
  header.fill(0x20, FIELD.checksum[0], FIELD.checksum[0] + FIELD.checksum[1]);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, FIELD.checksum[0], 'ascii');
  return header;
}

/** Splits a long name at a `/` into ustar's prefix and name fields. */
function splitName(name: string): [prefix: string, name: string] {
  if (Buffer.byteLength(name) <= NAME_LENGTH) return ['', name];
  // Try each `/` from the left so the name part is as long as possible.
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= PREFIX_LENGTH && Buffer.byteLength(rest) <= NAME_LENGTH && rest !== '') {
      return [prefix, rest];
    }
  }
  throw new InvalidArgumentError(
    `tar entry name ${JSON.stringify(name)} is too long for ustar (at most ${PREFIX_LENGTH} + ${NAME_LENGTH} bytes split at a "/")`,
  );
}

function writeString(header: Buffer, [offset, width]: readonly [number, number], value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > width) {
    throw new InvalidArgumentError(`tar header field value ${JSON.stringify(value)} is longer than ${width} bytes`);
  }
  bytes.copy(header, offset);
}

/** Zero-padded octal digits followed by a NUL, filling the field. */
function writeOctal(header: Buffer, [offset, width]: readonly [number, number], value: number): void {
  const digits = value.toString(8);
  if (!Number.isSafeInteger(value) || value < 0 || digits.length > width - 1) {
    throw new InvalidArgumentError(`tar header number ${value} does not fit in ${width - 1} octal digits`);
  }
  header.write(`${digits.padStart(width - 1, '0')}\0`, offset, 'ascii');
}
