import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  FRAME_HEADER_LENGTH,
  MAX_MESSAGE_LENGTH,
  MessageType,
  StatusCode,
  TtrpcClient,
  TtrpcStatusError,
  decodeResponse,
  encodeRequest,
  type RequestContext,
} from '../../../src/ttrpc/index.js';
import { RawConnection, deferred, startServer, text, utf8, type Harness } from './socket-harness.js';

const SERVICE = 'test.v1.Echo';
let harness: Harness | undefined;
const clients: TtrpcClient[] = [];

async function setup(onError = vi.fn()): Promise<{ client: TtrpcClient; harness: Harness }> {
  harness = await startServer({ onError });
  harness.ttrpc.register(SERVICE, {
    async Echo(payload) {
      return payload;
    },
    async Empty() {
      return new Uint8Array(0);
    },
  });
  const client = await TtrpcClient.connect(harness.path);
  clients.push(client);
  return { client, harness };
}

function requestBody(method: string, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  return encodeRequest({ service: SERVICE, method, payload, timeoutNano: 0n, metadata: [] });
}

async function statusOf(promise: Promise<unknown>): Promise<{ code: number; message: string }> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(TtrpcStatusError);
  const { code, message } = error as TtrpcStatusError;
  return { code, message };
}

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await harness?.dispose();
  harness = undefined;
});

describe('TtrpcServer', () => {
  it('answers a unary call with the handler result', async () => {
    const { client } = await setup();
    expect(text(await client.call(SERVICE, 'Echo', utf8('hello')))).toBe('hello');
  });

  it('gives the handler the service, method, metadata and timeout of the request', async () => {
    const { client, harness } = await setup();
    let seen: RequestContext | undefined;
    harness.ttrpc.register('test.v1.Inspect', {
      async Look(_payload, context) {
        seen = context;
        return new Uint8Array(0);
      },
    });
    await client.call('test.v1.Inspect', 'Look', new Uint8Array(0), {
      timeoutMs: 2000,
      metadata: { 'containerd-namespace-ttrpc': 'research', trace: ['a', 'b'] },
    });
    expect(seen?.service).toBe('test.v1.Inspect');
    expect(seen?.method).toBe('Look');
    expect(seen?.timeoutNano).toBe(2_000_000_000n);
    expect(seen?.metadata).toEqual(new Map([['containerd-namespace-ttrpc', ['research']], ['trace', ['a', 'b']]]));
    expect(seen?.signal.aborted).toBe(false);
  });

  it('answers a second call while a first one on the same connection is still blocked', async () => {
    const { client, harness } = await setup();
    const release = deferred<Uint8Array>();
    harness.ttrpc.register('test.v1.Task', { Wait: () => release.promise, State: async () => utf8('running') });

    const wait = client.call('test.v1.Task', 'Wait', new Uint8Array(0));
    expect(text(await client.call('test.v1.Task', 'State', new Uint8Array(0)))).toBe('running');
    release.resolve(utf8('exited'));
    expect(text(await wait)).toBe('exited');
  });

  it('answers an unknown service with UNIMPLEMENTED naming the service', async () => {
    const { client } = await setup();
    expect(await statusOf(client.call('no.such.Service', 'Echo', new Uint8Array(0))))
      .toEqual({ code: StatusCode.UNIMPLEMENTED, message: 'service no.such.Service' });
  });

  it('answers an unknown method with UNIMPLEMENTED naming the method', async () => {
    const { client } = await setup();
    expect(await statusOf(client.call(SERVICE, 'Nope', new Uint8Array(0))))
      .toEqual({ code: StatusCode.UNIMPLEMENTED, message: 'method Nope' });
  });

  it('sends the code and message of a TtrpcStatusError a handler throws', async () => {
    const { client, harness } = await setup();
    harness.ttrpc.register('test.v1.Fail', {
      async Status() {
        throw new TtrpcStatusError(StatusCode.NOT_FOUND, 'process does not exist nope: not found');
      },
    });
    expect(await statusOf(client.call('test.v1.Fail', 'Status', new Uint8Array(0))))
      .toEqual({ code: StatusCode.NOT_FOUND, message: 'process does not exist nope: not found' });
  });

  it('answers any other handler error as UNKNOWN with its message and reports it to onError', async () => {
    const onError = vi.fn();
    const { client, harness } = await setup(onError);
    harness.ttrpc.register('test.v1.Fail', {
      Plain() {
        throw new Error('disk on fire');
      },
    });
    expect(await statusOf(client.call('test.v1.Fail', 'Plain', new Uint8Array(0))))
      .toEqual({ code: StatusCode.UNKNOWN, message: 'disk on fire' });
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'disk on fire' }),
      { streamId: 1, service: 'test.v1.Fail', method: 'Plain' });
  });

  it('sends a success response with no status and an empty payload as a zero-length frame', async () => {
    const { harness } = await setup();
    const raw = await RawConnection.open(harness.path);
    raw.send({ streamId: 1, type: MessageType.REQUEST, flags: 0, data: requestBody('Empty') });
    expect(await raw.next()).toMatchObject({ kind: 'frame', streamId: 1, type: MessageType.RESPONSE, flags: 0, data: new Uint8Array(0) });
    raw.close();
  });

  it('answers an oversize request with RESOURCE_EXHAUSTED and keeps serving the connection', async () => {
    const { harness } = await setup();
    const raw = await RawConnection.open(harness.path);
    const length = MAX_MESSAGE_LENGTH + 1;
    const header = Buffer.alloc(FRAME_HEADER_LENGTH);
    header.writeUInt32BE(length, 0);
    header.writeUInt32BE(1, 4);
    header.writeUInt8(MessageType.REQUEST, 8);
    raw.write(header);
    raw.write(Buffer.alloc(length));
    raw.send({ streamId: 3, type: MessageType.REQUEST, flags: 0, data: requestBody('Echo', utf8('still here')) });

    const first = await raw.next();
    if (first.kind !== 'frame') throw new Error('expected a frame');
    expect(first.streamId).toBe(1);
    expect(decodeResponse(first.data).status?.code).toBe(StatusCode.RESOURCE_EXHAUSTED);
    const second = await raw.next();
    if (second.kind !== 'frame') throw new Error('expected a frame');
    expect(second.streamId).toBe(3);
    expect(text(decodeResponse(second.data).payload)).toBe('still here');
    raw.close();
  });

  it('rejects an even stream id with INVALID_ARGUMENT', async () => {
    const { harness } = await setup();
    const raw = await RawConnection.open(harness.path);
    raw.send({ streamId: 2, type: MessageType.REQUEST, flags: 0, data: requestBody('Echo') });
    const reply = await raw.next();
    if (reply.kind !== 'frame') throw new Error('expected a frame');
    expect(reply.streamId).toBe(2);
    expect(decodeResponse(reply.data).status).toMatchObject({ code: StatusCode.INVALID_ARGUMENT });
    raw.close();
  });

  it('rejects a stream id that does not increase with INVALID_ARGUMENT', async () => {
    const { harness } = await setup();
    const raw = await RawConnection.open(harness.path);
    raw.send({ streamId: 5, type: MessageType.REQUEST, flags: 0, data: requestBody('Echo', utf8('ok')) });
    raw.send({ streamId: 3, type: MessageType.REQUEST, flags: 0, data: requestBody('Echo', utf8('late')) });
    const replies = [await raw.next(), await raw.next()];
    const byId = new Map(replies.map((r) => [r.streamId, r.kind === 'frame' ? decodeResponse(r.data) : undefined]));
    expect(byId.get(5)?.status).toBeUndefined();
    expect(byId.get(3)?.status?.code).toBe(StatusCode.INVALID_ARGUMENT);
    raw.close();
  });

  it('ignores frames of unknown message types', async () => {
    const { harness } = await setup();
    const raw = await RawConnection.open(harness.path);
    raw.send({ streamId: 1, type: 0x7f, flags: 0, data: utf8('from the future') });
    raw.send({ streamId: 3, type: MessageType.REQUEST, flags: 0, data: requestBody('Echo', utf8('ok')) });
    const reply = await raw.next();
    expect(reply.streamId).toBe(3);
    raw.close();
  });

  it('survives a client that disconnects mid-call and aborts the handler signal', async () => {
    const onError = vi.fn();
    const { harness } = await setup(onError);
    const started = deferred<AbortSignal>();
    const release = deferred<Uint8Array>();
    harness.ttrpc.register('test.v1.Task', {
      Wait(_payload, context) {
        started.resolve(context.signal);
        return release.promise;
      },
    });
    const leaving = await TtrpcClient.connect(harness.path);
    const call = leaving.call('test.v1.Task', 'Wait', new Uint8Array(0));
    call.catch(() => {});
    const signal = await started.promise;
    await leaving.close();
    await vi.waitFor(() => expect(signal.aborted).toBe(true));
    release.resolve(utf8('too late'));
    await new Promise((resolve) => setTimeout(resolve, 20));

    const next = await TtrpcClient.connect(harness.path);
    clients.push(next);
    expect(text(await next.call(SERVICE, 'Echo', utf8('alive')))).toBe('alive');
    expect(onError).not.toHaveBeenCalled();
  });

  it('stops accepting connections after close() while existing ones keep working', async () => {
    const { harness } = await setup();
    harness.ttrpc.close();
    expect(harness.server.listening).toBe(false);
    await expect(TtrpcClient.connect(harness.path)).rejects.toMatchObject({ code: 'ERR_TTRPC_CLOSED' });
    expect(text(await clients[0]!.call(SERVICE, 'Echo', utf8('before')))).toBe('before');
  });

  it('ends every connection on shutdown and resolves once they have closed', async () => {
    const { client, harness } = await setup();
    await client.call(SERVICE, 'Echo', utf8('x'));
    expect(harness.ttrpc.connectionCount).toBe(1);
    await harness.ttrpc.shutdown();
    await client.closed;
    expect(harness.ttrpc.connectionCount).toBe(0);
  });
});
