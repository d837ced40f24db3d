import { describe, expect, it } from 'vitest';
import { containerd, google, runtimeoptions } from '../../../src/generated/index.js';
import { ascii, hex, toHex } from './hex.js';

const { BootstrapParams, BootstrapResult, LogLevel } = containerd.runtime.bootstrap.v1;

describe('containerd.runtime.bootstrap.v1', () => {
  it('round-trips BootstrapParams with instance_id, namespace and a runtime options extension', () => {
    const options = runtimeoptions.v1.Options.encode({ configPath: '/etc/wasmts.toml' }).finish();
    const params = BootstrapParams.create({
      instanceId: 'probe1',
      namespace: 'research',
      logLevel: LogLevel.LOG_LEVEL_DEBUG,
      containerdVersion: 'v2.3.0',
      containerdTtrpcAddress: '/run/containerd/containerd.sock.ttrpc',
      containerdGrpcAddress: '/run/containerd/containerd.sock',
      containerdBinary: '/usr/bin/containerd',
      extensions: [{ value: { typeUrl: 'runtimeoptions.v1.Options', value: options } }],
      socketDir: '/run/containerd/s',
    });

    const bytes = BootstrapParams.encode(params).finish();
    const decoded = BootstrapParams.decode(bytes);

    expect(toHex(bytes.subarray(0, 18))).toBe(toHex(hex(`0a 06 ${ascii('probe1')} 12 08 ${ascii('research')}`)));
    expect(decoded.instanceId).toBe('probe1');
    expect(decoded.namespace).toBe('research');
    expect(decoded.logLevel).toBe(-4);
    expect(decoded.socketDir).toBe('/run/containerd/s');
    const extension = decoded.extensions[0]?.value;
    expect(extension?.typeUrl).toBe('runtimeoptions.v1.Options');
    expect(runtimeoptions.v1.Options.decode(extension?.value ?? new Uint8Array()).configPath).toBe('/etc/wasmts.toml');
  });

  it('encodes the negative log level as a 10-byte varint', () => {
    const bytes = BootstrapParams.encode({ logLevel: LogLevel.LOG_LEVEL_TRACE }).finish();

    expect(toHex(bytes)).toBe(toHex(hex('18 f8ffffffffffffffff01')));
  });

  it('tells an absent socket_dir from an empty one', () => {
    const absent = BootstrapParams.decode(BootstrapParams.encode({ instanceId: 'a' }).finish());
    const empty = BootstrapParams.decode(BootstrapParams.encode({ instanceId: 'a', socketDir: '' }).finish());

    expect(Object.hasOwn(absent, 'socketDir')).toBe(false);
    expect(Object.hasOwn(empty, 'socketDir')).toBe(true);
  });

  it('decodes a legacy options Any as BootstrapParams with the type URL in instance_id', () => {
    // Why shims check instance_id == -id before trusting stdin (shim-protocol.md §2.3).
    const legacy = google.protobuf.Any.encode({
      typeUrl: 'runtimeoptions.v1.Options',
      value: hex(ascii('x')),
    }).finish();

    const params = BootstrapParams.decode(legacy);

    expect(params.instanceId).toBe('runtimeoptions.v1.Options');
    expect(params.namespace).toBe('x');
  });

  it('encodes BootstrapResult{2, address, "ttrpc"} starting with 0x08 and ending with "c"', () => {
    const address = 'unix:///run/containerd/s/c67a6366';

    const bytes = BootstrapResult.encode({ version: 2, address, protocol: 'ttrpc' }).finish();

    expect(bytes[0]).toBe(0x08);
    expect(bytes[bytes.length - 1]).toBe('c'.charCodeAt(0));
    expect(toHex(bytes)).toBe(toHex(hex(`08 02 12 21 ${ascii(address)} 1a 05 ${ascii('ttrpc')}`)));
  });
});
