import { describe, expect, it, vi } from 'vitest';
import { containerd } from '../../../src/generated/index.js';
import type { BootstrapParams } from '../../../src/shim/cli/bootstrap.js';
import { chooseTaskApi, encodeStartReply, majorVersion } from '../../../src/shim/cli/start-reply.js';

const ADDRESS = 'unix:///run/containerd/s/0123abcd';
/** What containerd 1.7 and 2.x add to a shim's environment (1.6 adds only TTRPC_ADDRESS). */
const ENV_17_AND_LATER = {
  TTRPC_ADDRESS: '/run/containerd/containerd.sock.ttrpc',
  GRPC_ADDRESS: '/run/containerd/containerd.sock',
  NAMESPACE: 'default',
  MAX_SHIM_VERSION: '2',
};
const ENV_16 = { TTRPC_ADDRESS: '/run/containerd/containerd.sock.ttrpc' };

function bootstrapFrom(containerdVersion: string): BootstrapParams {
  return { socketDir: '/run/containerd/s', ttrpcAddress: undefined, grpcAddress: undefined, containerdVersion };
}

describe('chooseTaskApi', () => {
  it('picks task API v2 for containerd 1.6 without asking it', async () => {
    const queryVersion = vi.fn();
    expect(await chooseTaskApi({ bootstrap: undefined, env: ENV_16, address: '/run/containerd/containerd.sock', queryVersion })).toBe(2);
    expect(queryVersion).not.toHaveBeenCalled();
  });

  it('picks task API v2 when containerd says it is 1.7', async () => {
    const queryVersion = vi.fn(async () => ({ version: '1.7.24~ds1', revision: '' }));
    expect(await chooseTaskApi({ bootstrap: undefined, env: ENV_17_AND_LATER, address: '/c.sock', queryVersion })).toBe(2);
    expect(queryVersion).toHaveBeenCalledWith('/c.sock', expect.any(Number));
  });

  it('picks task API v3 when containerd says it is 2.x', async () => {
    const queryVersion = async () => ({ version: '2.1.9+unknown', revision: '' });
    expect(await chooseTaskApi({ bootstrap: undefined, env: ENV_17_AND_LATER, address: '/c.sock', queryVersion })).toBe(3);
  });

  it('falls back to task API v2 when containerd cannot tell its version', async () => {
    const failing = async () => Promise.reject(new Error('connection refused'));
    expect(await chooseTaskApi({ bootstrap: undefined, env: ENV_17_AND_LATER, address: '/c.sock', queryVersion: failing })).toBe(2);
    const odd = async () => ({ version: 'devel', revision: '' });
    expect(await chooseTaskApi({ bootstrap: undefined, env: ENV_17_AND_LATER, address: '/c.sock', queryVersion: odd })).toBe(2);
  });

  it('picks task API v3 from BootstrapParams without asking containerd', async () => {
    const queryVersion = vi.fn();
    const bootstrap = bootstrapFrom('2.3.4');
    expect(await chooseTaskApi({ bootstrap, env: ENV_17_AND_LATER, address: '/c.sock', queryVersion })).toBe(3);
    expect(queryVersion).not.toHaveBeenCalled();
  });

  it('keeps task API v2 when containerd\'s environment says WASMTS_TASK_API=2', async () => {
    const env = { ...ENV_17_AND_LATER, WASMTS_TASK_API: '2' };
    const queryVersion = async () => ({ version: '2.1.9', revision: '' });
    expect(await chooseTaskApi({ bootstrap: undefined, env, address: '/c.sock', queryVersion })).toBe(2);
    expect(await chooseTaskApi({ bootstrap: bootstrapFrom('2.3.4'), env, address: '/c.sock', queryVersion })).toBe(2);
  });
});

describe('encodeStartReply', () => {
  it('prints the plain address for task API v2', async () => {
    expect(await encodeStartReply(ADDRESS, 2, undefined)).toBe(ADDRESS);
  });

  it('prints the JSON form containerd 2.0 to 2.2 reads for task API v3', async () => {
    const reply = await encodeStartReply(ADDRESS, 3, undefined);
    expect(JSON.parse(reply as string)).toEqual({ version: 3, address: ADDRESS, protocol: 'ttrpc' });
  });

  it('answers BootstrapParams with a BootstrapResult of the chosen version', async () => {
    const reply = await encodeStartReply(ADDRESS, 3, bootstrapFrom('2.3.4'));
    expect(reply).toBeInstanceOf(Uint8Array);
    const decoded = containerd.runtime.bootstrap.v1.BootstrapResult.decode(reply as Uint8Array);
    expect(decoded).toMatchObject({ version: 3, address: ADDRESS, protocol: 'ttrpc' });
  });
});

describe('majorVersion', () => {
  it('reads the major version of the strings containerd reports', () => {
    expect(majorVersion('1.6.20~ds1')).toBe(1);
    expect(majorVersion('v1.7.24')).toBe(1);
    expect(majorVersion('2.1.9+unknown')).toBe(2);
    expect(majorVersion('2.3.4')).toBe(2);
    expect(majorVersion('')).toBeUndefined();
    expect(majorVersion('devel')).toBeUndefined();
  });
});
