import { describe, expect, it } from 'vitest';
import { containerd, google } from '../../../src/generated/index.js';
import { encodeBootstrapResult, parseBootstrapParams } from '../../../src/shim/cli/bootstrap.js';

const bootstrap = containerd.runtime.bootstrap.v1;

describe('bootstrap protocol', () => {
  it('accepts BootstrapParams whose instance id and namespace match the flags', async () => {
    const bytes = bootstrap.BootstrapParams.encode({
      instanceId: 'c1',
      namespace: 'default',
      containerdTtrpcAddress: '/run/containerd/containerd.sock.ttrpc',
      socketDir: '/run/containerd/s2',
    }).finish();
    expect(await parseBootstrapParams(bytes, 'c1', 'default')).toMatchObject({
      socketDir: '/run/containerd/s2',
      ttrpcAddress: '/run/containerd/containerd.sock.ttrpc',
    });
  });

  it('treats a legacy runtime-options Any as no bootstrap params', async () => {
    const legacy = google.protobuf.Any.encode({ typeUrl: 'runtimeoptions.v1.Options', value: new Uint8Array([1]) }).finish();
    expect(await parseBootstrapParams(legacy, 'c1', 'default')).toBeUndefined();
    expect(await parseBootstrapParams(new Uint8Array(0), 'c1', 'default')).toBeUndefined();
  });

  it('encodes a result that neither starts nor ends with a whitespace byte', async () => {
    const bytes = await encodeBootstrapResult('unix:///run/containerd/s/abc', 2);
    expect(bytes[0]).toBe(0x08);
    expect(String.fromCharCode(bytes[bytes.length - 1]!)).toBe('c');
    expect(bootstrap.BootstrapResult.decode(bytes)).toMatchObject({ version: 2, protocol: 'ttrpc' });
  });
});
