/** Real unix sockets on temporary paths for the ttrpc server/client tests. */
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FrameDecoder,
  TtrpcServer,
  encodeFrame,
  type DecodedFrame,
  type Frame,
  type TtrpcServerOptions,
} from '../../../src/ttrpc/index.js';

export interface Harness {
  path: string;
  ttrpc: TtrpcServer;
  server: Server;
  dispose(): Promise<void>;
}

export async function startServer(options: TtrpcServerOptions = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'wasmts-ttrpc-'));
  const path = join(dir, 'ttrpc.sock');
  const ttrpc = new TtrpcServer(options);
  const server = createServer();
  ttrpc.listen(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return {
    path,
    ttrpc,
    server,
    async dispose() {
      await ttrpc.shutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A hand-driven connection for sending frames a well-behaved client never would. */
export class RawConnection {
  readonly #decoder = new FrameDecoder();
  readonly #frames: DecodedFrame[] = [];
  #waiter: (() => void) | undefined;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.#frames.push(...this.#decoder.push(chunk));
      this.#waiter?.();
    });
  }

  static open(path: string): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ path });
      socket.once('error', reject);
      socket.once('connect', () => resolve(new RawConnection(socket)));
    });
  }

  send(frame: Frame): void {
    this.socket.write(encodeFrame(frame));
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  async next(): Promise<DecodedFrame> {
    while (this.#frames.length === 0) {
      await new Promise<void>((resolve) => (this.#waiter = resolve));
    }
    return this.#frames.shift()!;
  }

  close(): void {
    this.socket.destroy();
  }
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
export const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** A promise plus its resolve function, to hold a handler open. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
