import fs from 'node:fs';
import net from 'node:net';
import tty from 'node:tty';
import { FILE_RIGHTS, Filetype, Rights, STREAM_RIGHTS } from './abi.js';
import { Descriptor, type IovecSource, type Readiness, filetypeOf } from './descriptor.js';
import { FileDescriptor, fdInfo, reopen } from './file-descriptor.js';
import { totalLength } from './memory-view.js';
import { StreamDescriptor } from './stream-descriptor.js';
import { quietly } from './pipe-drain.js';
import { InvalidArgumentError } from '../errors.js';

/** Stdio the embedder did not provide: reads see EOF, writes vanish, like /dev/null. */
export class NullDescriptor extends Descriptor {
  readonly filetype = Filetype.CHARACTER_DEVICE;

  constructor() {
    // Seek/tell rights keep wasi-libc's isatty() from calling this a terminal.
    super(FILE_RIGHTS, 0n);
  }
  override read(_iovs: IovecSource): number {
    return 0;
  }
  override write(iovs: Uint8Array[]): number {
    return totalLength(iovs);
  }
  override seek(): bigint {
    return 0n;
  }
  override readReadiness(): Readiness {
    return { nbytes: 0n, hangup: true };
  }
  override writeReadiness(): Readiness {
    return { nbytes: 0n, hangup: false };
  }
  override close(): void {}
}

export type StdioDirection = 'read' | 'write';

/**
 * Wraps a host fd handed to the instance as stdin/stdout/stderr, taking
 * ownership of it. Anything that can make the guest wait (pipe, FIFO, socket,
 * tty) becomes a libuv handle, which Node also closes if the worker is
 * terminated. Regular files and other character devices are reopened through
 * /proc/self/fd, so that the worker owns a tracked fd (Node closes fds a
 * worker opened when it is terminated) and the original is closed at once.
 */
export function openStdio(fd: number | undefined, direction: StdioDirection, asTerminal = false): Descriptor {
  if (fd === undefined) return new NullDescriptor();
  const stats = fs.fstatSync(fd);
  const readable = direction === 'read';
  if (tty.isatty(fd)) {
    const stream = readable ? new tty.ReadStream(fd) : new tty.WriteStream(fd);
    // tty.WriteStream makes writes blocking for interleaving's sake; a stopped
    // terminal (^S) must not freeze the worker, so undo that.
    (stream as unknown as { _handle?: { setBlocking?(b: boolean): void } })._handle?.setBlocking?.(false);
    return new StreamDescriptor(stream, { hostFd: fd, readable, writable: !readable, filetype: Filetype.CHARACTER_DEVICE, rights: STREAM_RIGHTS });
  }
  if (stats.isFIFO() || stats.isSocket()) {
    const socket = new net.Socket({ fd, readable, writable: !readable });
    // asTerminal: the embedder runs a terminal on the other end (a pty emulation), so isatty() must hold.
    const filetype = asTerminal ? Filetype.CHARACTER_DEVICE : stats.isSocket() ? Filetype.SOCKET_STREAM : Filetype.UNKNOWN;
    return new StreamDescriptor(socket, {
      hostFd: fd,
      readable,
      writable: !readable,
      filetype,
      rights: STREAM_RIGHTS,
      readsFdFirst: stats.isFIFO(),
      writesFdFirst: stats.isFIFO(),
    });
  }
  if (stats.isFile() || stats.isCharacterDevice() || stats.isBlockDevice()) {
    const info = fdInfo(fd);
    const own = reopen(fd, info.flags);
    closeForeignFd(fd);
    return new FileDescriptor(own, {
      filetype: filetypeOf(stats),
      openFlags: info.flags,
      position: info.pos,
      rightsBase: FILE_RIGHTS & ~(readable ? Rights.FD_WRITE : Rights.FD_READ),
      rightsInheriting: 0n,
    });
  }
  throw new InvalidArgumentError(`stdio fd ${fd} is a directory or an unsupported kind of file; hand over a pipe, FIFO, socket, tty or file`);
}

/**
 * Closes an fd this worker did not open. Node tracks the fds a worker opens
 * (to close them if it is terminated) and warns when closing any other; the
 * warning is noise here, so it is silenced for this one call.
 */
export function closeForeignFd(fd: number): void {
  quietly(() => fs.closeSync(fd));
}
