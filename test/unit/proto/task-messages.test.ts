import { describe, expect, it } from 'vitest';
import { containerd, google } from '../../../src/generated/index.js';
import { ascii, hex, toHex } from './hex.js';

const v2 = containerd.task.v2;

describe('containerd.task.v2 messages', () => {
  it('decodes the DeleteResponse a runc shim printed from `delete`', () => {
    // transcripts/ctr-run-rm.delete-stdout.hex
    const stdout = hex('08 e0f701  10 8901  1a 0c 08 fc818ad806 10 a69bffb003');

    const response = v2.DeleteResponse.decode(stdout);

    expect(response.pid).toBe(31712);
    expect(response.exitStatus).toBe(137);
    expect(response.exitedAt?.seconds).toBe(1795326204);
    expect(response.exitedAt?.nanos).toBe(908053926);
    expect(toHex(v2.DeleteResponse.encode(response).finish())).toBe(toHex(stdout));
  });

  it('decodes the ConnectRequest and ConnectResponse payloads of shim-protocol.md §3.2', () => {
    const request = v2.ConnectRequest.decode(hex(`0a 0a ${ascii('probe-exec')}`));
    const response = v2.ConnectResponse.decode(hex('08 bcfd01 10 ccfe01'));

    expect(request.id).toBe('probe-exec');
    expect(response.shimPid).toBe(32444);
    expect(response.taskPid).toBe(32588);
    expect(response.version).toBe('');
  });

  it('round-trips a CreateTaskRequest with overlay rootfs mounts', () => {
    const request = v2.CreateTaskRequest.create({
      id: 'probe-run',
      bundle: '/run/containerd/io.containerd.runtime.v2.task/default/probe-run',
      rootfs: [
        {
          type: 'overlay',
          source: 'overlay',
          options: ['index=off', 'workdir=/snap/2/work', 'upperdir=/snap/2/fs', 'lowerdir=/snap/1/fs'],
        },
        { type: 'bind', source: '/data', target: '/mnt/data', options: ['rbind', 'ro'] },
      ],
      stdin: '/run/containerd/fifo/1/probe-run-stdin',
      stdout: '/run/containerd/fifo/1/probe-run-stdout',
      stderr: '/run/containerd/fifo/1/probe-run-stderr',
      options: { typeUrl: 'runtimeoptions.v1.Options', value: hex(`12 04 ${ascii('/etc')}`) },
    });

    const decoded = v2.CreateTaskRequest.decode(v2.CreateTaskRequest.encode(request).finish());

    const asPlain = { bytes: String }; // Buffer and Uint8Array differ under toEqual; base64 does not
    expect(v2.CreateTaskRequest.toObject(decoded, asPlain)).toEqual(v2.CreateTaskRequest.toObject(request, asPlain));
    expect(decoded.rootfs).toHaveLength(2);
    expect(decoded.rootfs[0]?.options).toEqual(request.rootfs[0]?.options);
    expect(decoded.rootfs[1]?.target).toBe('/mnt/data');
    expect(decoded.terminal).toBe(false);
    expect(decoded.options?.typeUrl).toBe('runtimeoptions.v1.Options');
  });

  it('encodes mounts inside CreateTaskRequest as field 3 with type, source, target and options', () => {
    const bytes = v2.CreateTaskRequest.encode({
      rootfs: [{ type: 'bind', source: '/a', target: '/b', options: ['ro'] }],
    }).finish();

    expect(toHex(bytes)).toBe(
      toHex(hex(`1a 12  0a 04 ${ascii('bind')}  12 02 ${ascii('/a')}  1a 02 ${ascii('/b')}  22 02 ${ascii('ro')}`)),
    );
  });

  it('encodes StateResponse.status as the containerd.v1.types.Status number', () => {
    const bytes = v2.StateResponse.encode({ id: 'c', status: containerd.v1.types.Status.STOPPED }).finish();

    expect(toHex(bytes)).toBe(toHex(hex(`0a 01 ${ascii('c')} 20 03`)));
    expect(containerd.v1.types.Status.RUNNING).toBe(2);
    expect(containerd.v1.types.Status.PAUSING).toBe(5);
  });

  it('encodes UpdateTaskRequest annotations as map entries of key 1 and value 2', () => {
    const bytes = v2.UpdateTaskRequest.encode({ annotations: { k: 'v' } }).finish();

    expect(toHex(bytes)).toBe(toHex(hex(`1a 06 0a 01 ${ascii('k')} 12 01 ${ascii('v')}`)));
  });

  it('carries runc ProcessDetails in a PidsResponse ProcessInfo', () => {
    const details = containerd.runc.v1.ProcessDetails.encode({ execId: 'e1' }).finish();
    const bytes = v2.PidsResponse.encode({
      processes: [{ pid: 10 }, { pid: 11, info: { typeUrl: 'containerd.runc.v1.ProcessDetails', value: details } }],
    }).finish();

    const [init, exec] = v2.PidsResponse.decode(bytes).processes;

    expect(init?.pid).toBe(10);
    expect(init?.info).toBeFalsy();
    expect(containerd.runc.v1.ProcessDetails.decode(exec?.info?.value ?? new Uint8Array()).execId).toBe('e1');
  });

  it('declares all 17 Task RPCs', () => {
    const rpcs = Object.getOwnPropertyNames(v2.Task.prototype).filter((name) => name !== 'constructor');

    expect(rpcs.sort()).toEqual(
      ['state', 'create', 'start', 'delete', 'pids', 'pause', 'resume', 'checkpoint', 'kill', 'exec',
        'resizePty', 'closeIO', 'update', 'wait', 'stats', 'connect', 'shutdown'].sort(),
    );
  });
});

describe('google.protobuf.Timestamp', () => {
  it('decodes int64 seconds as a plain number', () => {
    const timestamp = google.protobuf.Timestamp.decode(hex('08 fc818ad806 10 a69bffb003'));

    expect(typeof timestamp.seconds).toBe('number');
    expect(timestamp.seconds).toBe(1795326204);
  });

  it("round-trips Go's zero time, -62135596800 seconds, as a 10-byte varint", () => {
    const bytes = google.protobuf.Timestamp.encode({ seconds: -62135596800 }).finish();

    expect(toHex(bytes)).toBe(toHex(hex('08 8092b8c398feffffff01')));
    expect(google.protobuf.Timestamp.decode(bytes).seconds).toBe(-62135596800);
  });

  it('omits zero fields, so the zero Timestamp is empty on the wire', () => {
    expect(google.protobuf.Timestamp.encode({ seconds: 0, nanos: 0 }).finish()).toHaveLength(0);
    expect(google.protobuf.Empty.encode({}).finish()).toHaveLength(0);
  });
});
