import { describe, expect, it } from 'vitest';
import { containerd, ttrpc } from '../../../src/generated/index.js';
import { ascii, hex, toHex } from './hex.js';

const { events } = containerd;
const { ForwardRequest } = containerd.services.events.ttrpc.v1;

describe('events', () => {
  it('encodes a /tasks/exit ForwardRequest with a bare type_url and fields in number order', () => {
    const exit = events.TaskExit.encode({
      containerId: 'c1',
      id: 'c1',
      pid: 42,
      exitStatus: 137,
      exitedAt: { seconds: 1, nanos: 2 },
    }).finish();

    const bytes = ForwardRequest.encode({
      envelope: {
        timestamp: { seconds: 1, nanos: 5 },
        namespace: 'research',
        topic: '/tasks/exit',
        event: { typeUrl: 'containerd.events.TaskExit', value: exit },
      },
    }).finish();

    const taskExit = `0a 02 ${ascii('c1')} 12 02 ${ascii('c1')} 18 2a 20 8901 2a 04 0801 1002`; // 19 bytes
    const any = `0a 1a ${ascii('containerd.events.TaskExit')} 12 13 ${taskExit}`; // 49 bytes
    const envelope = `0a 04 0801 1005 12 08 ${ascii('research')} 1a 0b ${ascii('/tasks/exit')} 22 31 ${any}`; // 80 bytes
    expect(toHex(bytes)).toBe(toHex(hex(`0a 50 ${envelope}`)));
  });

  it('builds a Forward request frame the size runc sent for /tasks/exit on containerd 1.6', () => {
    // transcripts/ctr-run-rm.ttrpc.txt: OUT len=212 ... Events/Forward timeout_nano=4999981943
    const exit = events.TaskExit.encode({
      containerId: 'probe-run',
      id: 'probe-run',
      pid: 31712,
      exitedAt: { seconds: 1795326204, nanos: 824662418 },
    }).finish();
    const payload = ForwardRequest.encode({
      envelope: {
        timestamp: { seconds: 1795326204, nanos: 829059406 },
        namespace: 'research',
        topic: '/tasks/exit',
        event: { typeUrl: 'containerd.events.TaskExit', value: exit },
      },
    }).finish();

    const request = ttrpc.Request.encode({
      service: 'containerd.services.events.ttrpc.v1.Events',
      method: 'Forward',
      payload,
      timeoutNano: 4999981943,
      metadata: [{ key: 'containerd-namespace-ttrpc', value: 'research' }],
    }).finish();

    expect(request).toHaveLength(212);
  });

  it('decodes the Envelope back to its event', () => {
    const value = events.TaskOOM.encode({ containerId: 'fake-container' }).finish();
    const bytes = ForwardRequest.encode({
      envelope: { namespace: 'n', topic: '/tasks/oom', event: { typeUrl: 'containerd.events.TaskOOM', value } },
    }).finish();

    const envelope = ForwardRequest.decode(bytes).envelope;

    expect(envelope?.topic).toBe('/tasks/oom');
    expect(envelope?.event?.typeUrl).toBe('containerd.events.TaskOOM');
    expect(events.TaskOOM.decode(envelope?.event?.value ?? new Uint8Array()).containerId).toBe('fake-container');
  });

  it('keeps the upstream field numbers of TaskCreate, TaskDelete and TaskExecStarted', () => {
    const create = events.TaskCreate.encode({
      containerId: 'c',
      io: { stdout: 'o', terminal: true },
      pid: 1,
    }).finish();
    const del = events.TaskDelete.encode({ containerId: 'c', exitStatus: 2, id: 'e' }).finish();
    const started = events.TaskExecStarted.encode({ containerId: 'c', execId: 'e', pid: 3 }).finish();

    expect(toHex(create)).toBe(toHex(hex(`0a 01 63 22 05 12 01 6f 20 01 30 01`)));
    expect(toHex(del)).toBe(toHex(hex(`0a 01 63 18 02 2a 01 65`)));
    expect(toHex(started)).toBe(toHex(hex(`0a 01 63 12 01 65 18 03`)));
  });
});
