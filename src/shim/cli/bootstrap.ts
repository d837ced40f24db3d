/**
 * containerd 2.3's start protocol (api/runtime/bootstrap/v1): `start` may get a
 * BootstrapParams on stdin instead of a runtime-options Any, and may answer
 * with a BootstrapResult. A legacy Any also decodes as BootstrapParams (its
 * type_url lands in instance_id), so params count only when instance_id and
 * namespace match the flags, as containerd's own shim library checks.
 */
import type { containerd } from '../../generated/index.js';

/** Loaded only when needed: most starts get an empty stdin and never pay for the codecs. */
async function bootstrapCodecs() {
  const generated = await import('../../generated/index.js');
  return generated.containerd.runtime.bootstrap.v1;
}

export interface BootstrapParams {
  socketDir: string | undefined;
  ttrpcAddress: string | undefined;
  grpcAddress: string | undefined;
  containerdVersion: string;
}

export async function parseBootstrapParams(
  stdin: Uint8Array,
  id: string,
  namespace: string,
): Promise<BootstrapParams | undefined> {
  if (stdin.length === 0) return undefined;
  const bootstrap = await bootstrapCodecs();
  let params: containerd.runtime.bootstrap.v1.BootstrapParams;
  try {
    params = bootstrap.BootstrapParams.decode(stdin);
  } catch {
    return undefined;
  }
  if (params.instanceId !== id || params.namespace !== namespace) return undefined;
  return {
    socketDir: params.socketDir || undefined,
    ttrpcAddress: params.containerdTtrpcAddress || undefined,
    grpcAddress: params.containerdGrpcAddress || undefined,
    containerdVersion: params.containerdVersion,
  };
}

/**
 * A BootstrapResult for a ttrpc address. Fields are written in number order, so
 * the bytes start with 0x08 and end with 'c': containerd 2.3.0 trims whitespace
 * from the output before decoding, and neither end may look like whitespace.
 */
export async function encodeBootstrapResult(address: string, version: number): Promise<Uint8Array> {
  const bootstrap = await bootstrapCodecs();
  return bootstrap.BootstrapResult.encode({ version, address, protocol: 'ttrpc' }).finish();
}
