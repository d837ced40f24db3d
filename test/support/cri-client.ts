/**
 * A CRI v1 client for integration tests, speaking to containerd's CRI plugin
 * the way kubelet does: gRPC over the containerd socket, with the messages of
 * proto/cri/api.proto (cri-api v0.25, what containerd 1.6 serves). Every call
 * has a deadline.
 */

import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import path from 'node:path';
import { REPO_ROOT } from './fixtures.js';

const CRI_PROTO = path.join(REPO_ROOT, 'proto', 'cri', 'api.proto');
const DEFAULT_DEADLINE_MS = 30_000;

/** Messages are plain objects with the proto's snake_case names; enums are their names. */
export type CriMessage = Record<string, unknown>;

type UnaryMethod = (
  request: CriMessage,
  options: { deadline: number },
  callback: (error: grpc.ServiceError | null, response: CriMessage) => void,
) => void;

export class CriClient {
  private readonly runtime: grpc.Client;
  private readonly image: grpc.Client;

  constructor(socketPath: string) {
    const definition = protoLoader.loadSync(CRI_PROTO, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
    const v1 = (grpc.loadPackageDefinition(definition) as unknown as { runtime: { v1: Record<string, grpc.ServiceClientConstructor> } }).runtime.v1;
    const target = `unix://${socketPath}`;
    this.runtime = new v1.RuntimeService!(target, grpc.credentials.createInsecure());
    this.image = new v1.ImageService!(target, grpc.credentials.createInsecure());
  }

  /** A RuntimeService call, e.g. `runtime('RunPodSandbox', { config, runtime_handler: 'wasmts' })`. */
  runtimeCall<T = CriMessage>(method: string, request: CriMessage, deadlineMs = DEFAULT_DEADLINE_MS): Promise<T> {
    return call(this.runtime, method, request, deadlineMs) as Promise<T>;
  }

  imageCall<T = CriMessage>(method: string, request: CriMessage, deadlineMs = DEFAULT_DEADLINE_MS): Promise<T> {
    return call(this.image, method, request, deadlineMs) as Promise<T>;
  }

  close(): void {
    this.runtime.close();
    this.image.close();
  }
}

function call(client: grpc.Client, method: string, request: CriMessage, deadlineMs: number): Promise<CriMessage> {
  const fn = (client as unknown as Record<string, UnaryMethod | undefined>)[method];
  if (fn === undefined) throw new Error(`CRI has no method ${method}`);
  return new Promise((resolve, reject) => {
    fn.call(client, request, { deadline: Date.now() + deadlineMs }, (error, response) => {
      if (error !== null) reject(new Error(`CRI ${method} failed: ${error.details || error.message}`, { cause: error }));
      else resolve(response);
    });
  });
}
