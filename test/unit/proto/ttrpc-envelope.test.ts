import { describe, expect, it } from 'vitest';
import { containerd, google, ttrpc } from '../../../src/generated/index.js';
import { ascii, hex, toHex } from './hex.js';

describe('ttrpc.Request and ttrpc.Response', () => {
  it('decodes the Connect request frame body of shim-protocol.md §3.2', () => {
    // Frame header 00000030 00000003 01 00 is stripped; 0x30 bytes of body follow.
    const body = hex(
      `0a 17 ${ascii('containerd.task.v2.Task')} 12 07 ${ascii('Connect')} 1a 0c 0a 0a ${ascii('probe-exec')}`,
    );
    expect(body).toHaveLength(0x30);

    const request = ttrpc.Request.decode(body);

    expect(request.service).toBe('containerd.task.v2.Task');
    expect(request.method).toBe('Connect');
    expect(request.timeoutNano).toBe(0);
    expect(request.metadata).toEqual([]);
    expect(containerd.task.v2.ConnectRequest.decode(request.payload).id).toBe('probe-exec');
  });

  it('decodes the matching Connect response, which has a payload and no status', () => {
    const body = hex('12 08 08 bcfd01 10 ccfe01');
    expect(body).toHaveLength(0x0a);

    const response = ttrpc.Response.decode(body);

    expect(response.status).toBeFalsy();
    const connect = containerd.task.v2.ConnectResponse.decode(response.payload);
    expect(connect.shimPid).toBe(32444);
    expect(connect.taskPid).toBe(32588);
  });

  it("decodes containerd's Forward error as code 3 with its message", () => {
    // transcripts/forward-error-example.txt, response body (len=71)
    const body = hex(
      '0a4508031241656e76656c6f706520746f706963202262616420746f706963223a206d757374207374617274207769746820272f273a20696e76616c696420617267756d656e74',
    );
    expect(body).toHaveLength(71);
    const message = 'envelope topic "bad topic": must start with \'/\': invalid argument';

    const response = ttrpc.Response.decode(body);
    const status = google.rpc.Status.decode(body.subarray(2));

    expect(response.status?.code).toBe(3);
    expect(response.status?.message).toBe(message);
    expect(response.payload).toHaveLength(0);
    expect(status.code).toBe(3);
    expect(status.message).toBe(message);
    expect(status.details).toEqual([]);
  });

  it('encodes a Request with timeout_nano and namespace metadata', () => {
    const bytes = ttrpc.Request.encode({
      service: 'S',
      method: 'M',
      payload: new Uint8Array([0xaa]),
      timeoutNano: 5_000_000_000,
      metadata: [{ key: 'containerd-namespace-ttrpc', value: 'research' }],
    }).finish();

    expect(toHex(bytes)).toBe(
      toHex(
        hex(
          `0a 01 ${ascii('S')} 12 01 ${ascii('M')} 1a 01 aa 20 80e497d012 ` +
            `2a 26 0a 1a ${ascii('containerd-namespace-ttrpc')} 12 08 ${ascii('research')}`,
        ),
      ),
    );
    expect(ttrpc.Request.decode(bytes).timeoutNano).toBe(5_000_000_000);
  });

  it('encodes an Unimplemented error status as code 12 and a message', () => {
    const bytes = ttrpc.Response.encode({ status: { code: 12, message: 'method Foo' } }).finish();

    expect(toHex(bytes)).toBe(toHex(hex(`0a 0e 08 0c 12 0a ${ascii('method Foo')}`)));
  });
});
