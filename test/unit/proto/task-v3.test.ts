import { describe, expect, it } from 'vitest';
import { containerd } from '../../../src/generated/index.js';
import { toHex } from './hex.js';

const v2 = containerd.task.v2;
const v3 = containerd.task.v3;

function namesOf(namespace: object): string[] {
  return Object.keys(namespace).sort();
}

// One populated value per message that carries nested or repeated fields.
const samples = {
  CreateTaskRequest: {
    id: 'c1', bundle: '/b', terminal: true, stdin: 'i', stdout: 'o', stderr: 'e', checkpoint: 'cp',
    parentCheckpoint: 'pcp', rootfs: [{ type: 'overlay', source: 'overlay', target: '/', options: ['ro'] }],
    options: { typeUrl: 'x', value: new Uint8Array([1, 2]) },
  },
  StateResponse: {
    id: 'c1', bundle: '/b', pid: 7, status: 2, stdin: 'i', stdout: 'o', stderr: 'e', terminal: true,
    exitStatus: 3, exitedAt: { seconds: 1795326204, nanos: 5 }, execId: 'e1',
  },
  ExecProcessRequest: { id: 'c1', execId: 'e1', terminal: true, spec: { typeUrl: 't', value: new Uint8Array([123]) } },
  UpdateTaskRequest: { id: 'c1', annotations: { a: '1', b: '2' } },
  PidsResponse: { processes: [{ pid: 1 }, { pid: 2, info: { typeUrl: 'containerd.runc.v1.ProcessDetails' } }] },
  WaitResponse: { exitStatus: 137, exitedAt: { seconds: -62135596800 } },
  DeleteResponse: { pid: 9, exitStatus: 1, exitedAt: { seconds: 1, nanos: 2 } },
  KillRequest: { id: 'c1', execId: 'e1', signal: 9, all: true },
  ConnectResponse: { shimPid: 1, taskPid: 2, version: 'v' },
  ShutdownRequest: { id: 'c1', now: true },
} as const;

describe('containerd.task.v3', () => {
  it('declares the same messages and service as containerd.task.v2', () => {
    expect(namesOf(v3)).toEqual(namesOf(v2));
    expect(Object.getOwnPropertyNames(v3.Task.prototype).sort()).toEqual(
      Object.getOwnPropertyNames(v2.Task.prototype).sort(),
    );
  });

  for (const [name, sample] of Object.entries(samples)) {
    it(`encodes ${name} byte for byte like v2`, () => {
      const type2 = v2[name as keyof typeof samples];
      const type3 = v3[name as keyof typeof samples];

      // The casts are to the union's common call shape; each sample matches its type.
      const bytes2 = (type2.encode as (m: object) => { finish(): Uint8Array })(sample).finish();
      const bytes3 = (type3.encode as (m: object) => { finish(): Uint8Array })(sample).finish();

      expect(bytes2.length).toBeGreaterThan(0);
      expect(toHex(bytes3)).toBe(toHex(bytes2));
    });
  }

  it('decodes v2 bytes as v3 to the same values', () => {
    const bytes = v2.StateResponse.encode(samples.StateResponse).finish();

    expect(v3.StateResponse.toObject(v3.StateResponse.decode(bytes))).toEqual(
      v2.StateResponse.toObject(v2.StateResponse.decode(bytes)),
    );
  });
});
