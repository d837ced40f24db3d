import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import type { ProcessSpec } from './container.js';
import { processSpecFrom } from './process-spec.js';
import { type SpecMount, specMountsFrom } from './spec-mounts.js';

/** What wasmts takes from a bundle's OCI runtime spec (config.json). */
export interface BundleSpec {
  /** Host path of the container's root filesystem. */
  rootPath: string;
  process: ProcessSpec;
  memoryLimitBytes?: number;
  annotations: Record<string, string>;
  /** root.readonly: the guest may not change the rootfs (its mounts keep their own setting). */
  rootReadOnly: boolean;
  mounts: SpecMount[];
}

interface OciSpec {
  root?: { path?: unknown; readonly?: unknown };
  mounts?: unknown;
  process?: Parameters<typeof processSpecFrom>[0];
  annotations?: Record<string, unknown>;
  linux?: { resources?: { memory?: { limit?: unknown } } };
}

/** Reads `<bundle>/config.json`. A relative root.path is relative to the bundle. */
export async function readBundleSpec(bundle: string): Promise<BundleSpec> {
  const file = path.join(bundle, 'config.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new InvalidArgumentError(`cannot read the OCI spec ${file}`, { cause });
  }
  let spec: OciSpec;
  try {
    spec = JSON.parse(text) as OciSpec;
  } catch (cause) {
    throw new InvalidArgumentError(`the OCI spec ${file} is not valid JSON`, { cause });
  }
  return bundleSpecFrom(spec, bundle, file);
}

export function bundleSpecFrom(spec: OciSpec, bundle: string, where: string): BundleSpec {
  const root = spec.root?.path ?? 'rootfs';
  if (typeof root !== 'string' || root === '') throw new InvalidArgumentError(`${where}: root.path must be a path`);
  const annotations: Record<string, string> = {};
  for (const [key, value] of Object.entries(spec.annotations ?? {})) {
    if (typeof value === 'string') annotations[key] = value;
  }
  const limit = spec.linux?.resources?.memory?.limit;
  const result: BundleSpec = {
    rootPath: path.resolve(bundle, root),
    process: processSpecFrom(spec.process, where),
    annotations,
    rootReadOnly: spec.root?.readonly === true,
    mounts: specMountsFrom(spec.mounts, where),
  };
  if (typeof limit === 'number' && limit > 0) result.memoryLimitBytes = limit;
  return result;
}
