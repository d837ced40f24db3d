import type { Logger } from '../../../src/task/collaborators.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { containerd } from '../../../src/generated/index.js';
import { EventPublisher } from '../../../src/shim/events/event-publisher.js';
import { TtrpcServer, TtrpcStatusError, type RequestContext } from '../../../src/ttrpc/index.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };
const EVENTS = 'containerd.services.events.ttrpc.v1.Events';

interface Forwarded {
  topic: string;
  namespace: string;
  typeUrl: string;
  header: string[] | undefined;
}

/** A stand-in for containerd's ttrpc events service on a temporary socket. */
async function fakeContainerd(path: string, answer?: (seen: Forwarded) => void) {
  const seen: Forwarded[] = [];
  const ttrpc = new TtrpcServer();
  ttrpc.register(EVENTS, {
    async Forward(payload: Uint8Array, context: RequestContext) {
      const envelope = containerd.services.events.ttrpc.v1.ForwardRequest.decode(payload).envelope!;
      const event: Forwarded = {
        topic: envelope.topic ?? '',
        namespace: envelope.namespace ?? '',
        typeUrl: envelope.event?.typeUrl ?? '',
        header: context.metadata.get('containerd-namespace-ttrpc'),
      };
      answer?.(event);
      seen.push(event);
      return new Uint8Array(0);
    },
  });
  const server: Server = createServer();
  ttrpc.listen(server);
  await new Promise<void>((resolve) => server.listen(path, () => resolve()));
  return { seen, stop: () => ttrpc.shutdown() };
}

const exitEvent = (id: string) =>
  ({ topic: '/tasks/exit', containerId: id, id, pid: 7, exitStatus: 0, exitedAt: new Date() }) as const;

let dir: string;
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('EventPublisher', () => {
  it('forwards events in the order they were published, with the namespace header', async () => {
    dir = await mkdtemp(join(tmpdir(), 'wasmts-events-'));
    const path = join(dir, 'containerd.sock.ttrpc');
    const fake = await fakeContainerd(path);
    const publisher = new EventPublisher({ address: path, namespace: 'ns1', logger: silent });
    publisher.publish({ topic: '/tasks/start', containerId: 'a', pid: 7 });
    publisher.publish(exitEvent('a'));
    publisher.publish({ topic: '/tasks/delete', containerId: 'a', id: '', pid: 7, exitStatus: 0, exitedAt: undefined });
    await publisher.close();
    expect(fake.seen.map((e) => e.topic)).toEqual(['/tasks/start', '/tasks/exit', '/tasks/delete']);
    expect(fake.seen[1]).toMatchObject({ namespace: 'ns1', typeUrl: 'containerd.events.TaskExit', header: ['ns1'] });
    await fake.stop();
  });

  it('keeps an event while containerd is away and delivers it when it is back', async () => {
    dir = await mkdtemp(join(tmpdir(), 'wasmts-events-'));
    const path = join(dir, 'containerd.sock.ttrpc');
    const publisher = new EventPublisher({ address: path, namespace: 'ns1', logger: silent, retryDelayMs: 20 });
    publisher.publish(exitEvent('late'));
    publisher.publish(exitEvent('later'));
    await new Promise((r) => setTimeout(r, 60));
    const fake = await fakeContainerd(path);
    await publisher.close();
    expect(fake.seen.map((e) => e.topic)).toEqual(['/tasks/exit', '/tasks/exit']);
    await fake.stop();
  });

  it('does not resend an event containerd refused as invalid', async () => {
    dir = await mkdtemp(join(tmpdir(), 'wasmts-events-'));
    const path = join(dir, 'containerd.sock.ttrpc');
    let calls = 0;
    const fake = await fakeContainerd(path, () => {
      calls++;
      throw new TtrpcStatusError(3, 'envelope topic: invalid argument');
    });
    const publisher = new EventPublisher({ address: path, namespace: 'ns1', logger: silent, retryDelayMs: 5 });
    publisher.publish(exitEvent('x'));
    await publisher.close();
    expect(calls).toBe(1);
    await fake.stop();
  });

  it('redials at once, without back-off, when containerd restarted behind its connection', async () => {
    dir = await mkdtemp(join(tmpdir(), 'wasmts-events-'));
    const path = join(dir, 'containerd.sock.ttrpc');
    const first = await fakeContainerd(path);
    const publisher = new EventPublisher({ address: path, namespace: 'ns1', logger: silent, retryDelayMs: 10_000 });
    publisher.publish(exitEvent('before'));
    await publisher.flush();
    await first.stop();
    const second = await fakeContainerd(path);
    const started = performance.now();
    publisher.publish(exitEvent('after'));
    await publisher.flush();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(second.seen).toHaveLength(1);
    await publisher.close();
    await second.stop();
  });
});
