import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import type { NetworkNamespace, ProcessSpec } from './container.js';
import { processSpecFrom } from './process-spec.js';
import { type SpecMount, specMountsFrom } from './spec-mounts.js';

export type { NetworkNamespace } from './container.js';

/** Annotation that lets containers share one daemon (our own). */
export const GROUP_ANNOTATION = 'io.containerd.wasmts.v1.group';
/** CRI's pod id: all containers of a pod share one daemon. */
export const SANDBOX_ID_ANNOTATION = 'io.kubernetes.cri.sandbox-id';

/** CRI marks the pod's sandbox ("pause") container with this annotation, value `sandbox` (apps: `container`). */
export const CRI_CONTAINER_TYPE_ANNOTATION = 'io.kubernetes.cri.container-type';

/** A Kubernetes pod's sandbox container: its image's program (a Linux pause binary) is never run. */
export function isPodSandbox(annotations: Record<string, string>): boolean {
  return annotations[CRI_CONTAINER_TYPE_ANNOTATION] === 'sandbox';
}

/** An application container of a Kubernetes pod (an init container, a sidecar, the app). */
export function isPodContainer(annotations: Record<string, string>): boolean {
  return annotations[CRI_CONTAINER_TYPE_ANNOTATION] === 'container';
}

/** The daemon group a container belongs to: its group annotation, else its pod, else itself. */
export function groupId(containerId: string, annotations: Record<string, string>): string {
  return annotations[GROUP_ANNOTATION] || annotations[SANDBOX_ID_ANNOTATION] || containerId;
}

/**
 * The group of the daemon a namespace's containers share when nothing groups
 * them otherwise. Not a possible container id (containerd's ids have no `/`).
 */
export const NAMESPACE_GROUP = '/namespace';

/**
 * Whether a container goes to its namespace's shared daemon: it belongs to no
 * group or pod, and asks for the host's network or a fresh namespace (where a
 * guest that can use a network is then handed to a daemon of its own); one that
 * joins a given network namespace gets a daemon inside it.
 */
export function joinsNamespaceDaemon(spec: Pick<StartSpec, 'annotations' | 'networkNamespace'>): boolean {
  const grouped = Boolean(spec.annotations[GROUP_ANNOTATION] || spec.annotations[SANDBOX_ID_ANNOTATION]);
  return !grouped && !isPodSandbox(spec.annotations) && spec.networkNamespace.kind !== 'path';
}

/** What `start` needs before anything else: how to group the container, and where its daemon runs. */
export interface StartSpec {
  /** The daemon group (see groupId). */
  group: string;
  annotations: Record<string, string>;
  networkNamespace: NetworkNamespace;
  /** linux.cgroupsPath: where runc would put the container's processes. */
  cgroupsPath?: string;
}

/** What wasmts takes from a bundle's OCI runtime spec (config.json). */
export interface BundleSpec extends Omit<StartSpec, 'group'> {
  /** Host path of the container's root filesystem. */
  rootPath: string;
  process: ProcessSpec;
  memoryLimitBytes?: number;
  /** root.readonly: the guest may not change the rootfs (its mounts keep their own setting). */
  rootReadOnly: boolean;
  mounts: SpecMount[];
}

interface OciSpec {
  root?: { path?: unknown; readonly?: unknown };
  mounts?: unknown;
  process?: Parameters<typeof processSpecFrom>[0];
  annotations?: Record<string, unknown>;
  linux?: { resources?: { memory?: { limit?: unknown } }; namespaces?: { type?: unknown; path?: unknown }[]; cgroupsPath?: unknown };
}

/** The spec's string annotations (other values are ignored, as containerd's clients write only strings). */
function annotationsFrom(spec: OciSpec): Record<string, string> {
  return Object.fromEntries(Object.entries(spec.annotations ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** The network namespace a spec asks for. */
export function networkNamespaceFrom(spec: Pick<OciSpec, 'linux'>): NetworkNamespace {
  const entry = (spec.linux?.namespaces ?? []).find((ns) => ns?.type === 'network');
  if (entry === undefined) return { kind: 'host' };
  if (typeof entry.path === 'string' && entry.path !== '') return { kind: 'path', path: entry.path };
  return { kind: 'new' };
}

function cgroupsPathFrom(spec: Pick<OciSpec, 'linux'>): string | undefined {
  const value = spec.linux?.cgroupsPath;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The part of `<bundle>/config.json` that `start` needs, read synchronously and
 * leniently: a missing or broken spec gives no annotations and the host's
 * network, and Create then reports it with its path.
 */
export function readStartSpec(bundle: string, containerId: string): StartSpec {
  let spec: OciSpec = {};
  try {
    spec = JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8')) as OciSpec;
  } catch {
    // reported by Create
  }
  const annotations = annotationsFrom(spec ?? {});
  const cgroupsPath = cgroupsPathFrom(spec ?? {});
  return {
    group: groupId(containerId, annotations),
    annotations,
    networkNamespace: networkNamespaceFrom(spec ?? {}),
    ...(cgroupsPath !== undefined ? { cgroupsPath } : {}),
  };
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
  const limit = spec.linux?.resources?.memory?.limit;
  const result: BundleSpec = {
    rootPath: path.resolve(bundle, root),
    process: processSpecFrom(spec.process, where),
    annotations: annotationsFrom(spec),
    networkNamespace: networkNamespaceFrom(spec),
    rootReadOnly: spec.root?.readonly === true,
    mounts: specMountsFrom(spec.mounts, where),
  };
  if (typeof limit === 'number' && limit > 0) result.memoryLimitBytes = limit;
  const cgroupsPath = cgroupsPathFrom(spec);
  if (cgroupsPath !== undefined) result.cgroupsPath = cgroupsPath;
  return result;
}
