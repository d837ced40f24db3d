/**
 * Asks a containerd for its version over its own gRPC API
 * (`containerd.services.version.v1.Version/Version`); `start` loads this (and
 * the generated codecs) only when it has to ask.
 */
import { UnavailableError } from '../../errors.js';
import { containerd } from '../../generated/index.js';
import { GrpcClient } from '../containerd/grpc-client.js';
import { socketFileOf } from './socket-address.js';

/** api/services/version/v1/version.proto: rpc Version(google.protobuf.Empty) returns (VersionResponse). */
const VERSION_METHOD = '/containerd.services.version.v1.Version/Version';

export interface ContainerdVersion {
  version: string;
  revision: string;
}

/** Asks the containerd at a gRPC address for its version; rejects when it cannot tell in time. */
export type VersionQuery = (address: string, timeoutMs: number) => Promise<ContainerdVersion>;

/** google.protobuf.Empty. */
const EMPTY_REQUEST = new Uint8Array(0);

export const queryContainerdVersion: VersionQuery = async (address, timeoutMs) => {
  const socketFile = socketFileOf(address);
  const client = new GrpcClient({ socketFile });
  try {
    const answer = await client.unary(VERSION_METHOD, EMPTY_REQUEST, timeoutMs).catch((cause: unknown) => {
      throw new UnavailableError(`ask containerd at ${socketFile} for its version: ${(cause as Error).message}`, { cause });
    });
    try {
      return decodeVersionResponse(answer);
    } catch (cause) {
      throw new UnavailableError(`containerd at ${socketFile} sent a version answer that does not decode`, { cause });
    }
  } finally {
    client.close();
  }
};

/** A VersionResponse (this file is loaded only when `start` has to ask, so the codec's cost is paid only then). */
export function decodeVersionResponse(bytes: Uint8Array): ContainerdVersion {
  const { version, revision } = containerd.services.version.v1.VersionResponse.decode(bytes);
  return { version, revision };
}
