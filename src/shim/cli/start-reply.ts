/**
 * What `start` prints: the daemon's address, in the form that makes the
 * calling containerd use the newest task API it has (shim-protocol §2.4, §8).
 *
 * | containerd | how we know it                         | reply                          | task API |
 * |------------|----------------------------------------|--------------------------------|----------|
 * | 1.6        | no GRPC_ADDRESS/NAMESPACE in the env   | plain `unix://` address        | v2       |
 * | 1.7        | its Version API says 1.x               | plain address                  | v2       |
 * | 2.0–2.2    | its Version API says 2.x               | JSON `{"version":3,…}`         | v3       |
 * | 2.3+       | BootstrapParams on stdin               | protobuf BootstrapResult{3,…}  | v3       |
 *
 * 1.6 dials a JSON reply as if it were an address and 1.7 rejects version 3,
 * while the environment and stdin of 1.7 and 2.0–2.2 are alike; so between
 * those two we ask containerd. Whenever that fails the plain address is the
 * answer: every version accepts it and then speaks task API v2, which the
 * daemon serves too.
 */
import { type BootstrapParams, encodeBootstrapResult } from './bootstrap.js';
import type { VersionQuery } from './containerd-version.js';
import { Env } from '../daemon/environment.js';

export type TaskApiVersion = 2 | 3;

/** How long `start` waits for containerd's version before it settles for task API v2. */
export const VERSION_QUERY_TIMEOUT_MS = 2_000;

/** containerd's environment can pin task API v2 (`WASMTS_TASK_API=2`), e.g. to rule v3 out while debugging. */
export const TASK_API_ENV = Env.TASK_API;

export interface TaskApiContext {
  /** Parsed BootstrapParams when containerd (2.3+) sent them. */
  bootstrap: BootstrapParams | undefined;
  /** The environment containerd gave `start`. */
  env: NodeJS.ProcessEnv;
  /** containerd's gRPC address (`-address`). */
  address: string;
  /** Defaults to asking containerd's Version API. */
  queryVersion?: VersionQuery;
}

export async function chooseTaskApi(context: TaskApiContext): Promise<TaskApiVersion> {
  if (context.env[TASK_API_ENV] === '2') return 2;
  if (context.bootstrap !== undefined) {
    // Only 2.3 and later send BootstrapParams; trust the version they carry if it says otherwise.
    const major = majorVersion(context.bootstrap.containerdVersion);
    return major !== undefined && major < 2 ? 2 : 3;
  }
  // containerd 1.7 and later add these; 1.6 only TTRPC_ADDRESS (shim-protocol §2.2).
  if (context.env.GRPC_ADDRESS === undefined && context.env.NAMESPACE === undefined) return 2;
  if (context.address === '') return 2;
  const query = context.queryVersion ?? (await import('./containerd-version.js')).queryContainerdVersion;
  try {
    const { version } = await query(context.address, VERSION_QUERY_TIMEOUT_MS);
    return (majorVersion(version) ?? 0) >= 2 ? 3 : 2;
  } catch {
    return 2;
  }
}

/** The major version of a containerd version string: `2.1.9+unknown` → 2, `v1.7.24` → 1. */
export function majorVersion(version: string): number | undefined {
  const match = /^v?(\d+)\./.exec(version.trim());
  return match === null ? undefined : Number(match[1]);
}

/** The reply for `address` in the form containerd expects for `taskApi`. */
export async function encodeStartReply(
  address: string,
  taskApi: TaskApiVersion,
  bootstrap: BootstrapParams | undefined,
): Promise<Uint8Array | string> {
  if (bootstrap !== undefined) return encodeBootstrapResult(address, taskApi);
  if (taskApi === 3) return JSON.stringify({ version: 3, address, protocol: 'ttrpc' });
  return address;
}
