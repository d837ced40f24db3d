import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FrameDecoder,
  MAX_MESSAGE_LENGTH,
  StatusCode,
  TtrpcClient,
  TtrpcClosedError,
  TtrpcStatusError,
} from '../../../src/ttrpc/index.js';
import { deferred, startServer, text, utf8, type Harness } from './socket-harness.js';

let harness: Harness | undefined;
const clients: TtrpcClient[] = [];

async function setup(): Promise<{ client: TtrpcClient; harness: Harness }> {
  harness = await startServer();
  const hang = deferred<Uint8Array>();
  harness.ttrpc.register('test.v1.Svc', {
    async Echo(payload) {
      return payload;
    },
    Hang: () => hang.promise,
  });
  const client = await TtrpcClient.connect(`unix://${harness.path}`);
  clients.push(client);
  return { client, harness };
}

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await harness?.dispose();
  harness = undefined;
});

describe('TtrpcClient', () => {
  it('connects with a unix:// address and keeps many calls in flight', async () => {
    const { client } = await setup();
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => client.call('test.v1.Svc', 'Echo', utf8(`call ${i}`))),
    );
    expect(replies.map(text)).toEqual(Array.from({ length: 20 }, (_, i) => `call ${i}`));
    expect(client.pendingCount).toBe(0);
  });

  it('rejects with DEADLINE_EXCEEDED when the timeout passes, and the connection keeps working', async () => {
    const { client } = await setup();
    const error = await client.call('test.v1.Svc', 'Hang', new Uint8Array(0), { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TtrpcStatusError);
    expect(error).toMatchObject({ code: StatusCode.DEADLINE_EXCEEDED });
    expect(client.pendingCount).toBe(0);
    expect(text(await client.call('test.v1.Svc', 'Echo', utf8('after')))).toBe('after');
  });

  it('rejects with CANCELLED when the call signal aborts', async () => {
    const { client } = await setup();
    const controller = new AbortController();
    const call = client.call('test.v1.Svc', 'Hang', new Uint8Array(0), { signal: controller.signal });
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: StatusCode.CANCELLED });
  });

  it('rejects pending calls with ERR_TTRPC_CLOSED when the server goes away, and resolves closed', async () => {
    const { client, harness } = await setup();
    const pending = client.call('test.v1.Svc', 'Hang', new Uint8Array(0)).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await harness.ttrpc.shutdown();
    const error = await pending;
    expect(error).toBeInstanceOf(TtrpcClosedError);
    expect(error).toMatchObject({ code: 'ERR_TTRPC_CLOSED' });
    expect((error as Error).message).toContain('test.v1.Svc/Hang');
    await client.closed;
    await expect(client.call('test.v1.Svc', 'Echo', new Uint8Array(0))).rejects.toMatchObject({ code: 'ERR_TTRPC_CLOSED' });
  });

  it('rejects pending calls with ERR_TTRPC_CLOSED when it is closed itself', async () => {
    const { client } = await setup();
    const pending = client.call('test.v1.Svc', 'Hang', new Uint8Array(0));
    await client.close();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_TTRPC_CLOSED' });
  });

  it('fails to connect to a missing socket with ERR_TTRPC_CLOSED', async () => {
    await expect(TtrpcClient.connect('/nonexistent/wasmts/ttrpc.sock')).rejects.toMatchObject({ code: 'ERR_TTRPC_CLOSED' });
  });

  it('refuses to send a request over 4 MiB without sending anything', async () => {
    const { client } = await setup();
    await expect(client.call('test.v1.Svc', 'Echo', new Uint8Array(MAX_MESSAGE_LENGTH)))
      .rejects.toMatchObject({ code: StatusCode.RESOURCE_EXHAUSTED });
    expect(text(await client.call('test.v1.Svc', 'Echo', utf8('next')))).toBe('next');
  });

  it('rejects with RESOURCE_EXHAUSTED when the server would answer over 4 MiB', async () => {
    const { client, harness } = await setup();
    harness.ttrpc.register('test.v1.Big', { Blob: async () => new Uint8Array(MAX_MESSAGE_LENGTH) });
    await expect(client.call('test.v1.Big', 'Blob', new Uint8Array(0)))
      .rejects.toMatchObject({ code: StatusCode.RESOURCE_EXHAUSTED });
  });

  it('uses odd stream ids starting at 1 and increasing by 2', async () => {
    const { harness } = await setup();
    const ids: number[] = [];
    harness.server.prependListener('connection', (socket: Socket) => {
      const decoder = new FrameDecoder();
      socket.on('data', (chunk: Buffer) => ids.push(...decoder.push(chunk).map((f) => f.streamId)));
    });
    const fresh = await TtrpcClient.connect(harness.path);
    clients.push(fresh);
    await Promise.all([0, 1, 2].map(() => fresh.call('test.v1.Svc', 'Echo', utf8('x'))));
    expect(ids).toEqual([1, 3, 5]);
  });
});
