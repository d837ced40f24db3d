/**
 * What the task service needs from a bundle, and the types that describe it:
 * the OCI layer's side of the boundary (the task layer imports these; this
 * folder imports nothing from above it).
 */

/**
 * The network a container asks for, the way runc reads `linux.namespaces`: no
 * `network` namespace is the host's (`ctr run --net-host`); one without a path
 * is a fresh namespace of its own (plain `ctr run`); one with a path is that one
 * (a Kubernetes pod's).
 */
export type NetworkNamespace = { kind: 'host' } | { kind: 'new' } | { kind: 'path'; path: string };

/** A containerd.types.Mount of the rootfs, as CreateTaskRequest carries it. */
export interface MountSpec {
  type: string;
  source: string;
  target: string;
  options: string[];
}

/** The parts of an OCI process spec a wasm guest uses. */
export interface ProcessSpec {
  args: string[];
  env: string[];
  cwd: string;
  terminal: boolean;
}

/** A host file or directory the guest sees at `guestPath` (a bind or tmpfs mount of the spec). */
export interface GuestMount {
  guestPath: string;
  hostPath: string;
  readOnly: boolean;
}

/** Where a process's module comes from: a file in the container's filesystem, or a blob of its image. */
export type ModuleSource = { kind: 'file'; hostPath: string } | { kind: 'blob'; bytes: Uint8Array; digest: string };

/** The module a process runs, and the argv it runs with. */
export interface ResolvedModule {
  /** How messages name the module: its guest path, or `<image>@<layer digest>`. */
  name: string;
  source: ModuleSource;
  args: string[];
}

/** The module layer of a container's image (a wasm OCI artifact), read from containerd's content store. */
export interface ImageModule {
  /** The image reference, as the container's metadata names it. */
  image: string;
  /** The layer's digest, checked against the bytes. */
  digest: string;
  bytes: Uint8Array;
}

/** Finds the module of a container whose image is a wasm OCI artifact. */
export interface ImageModuleSource {
  /** The module, or undefined when the container has no image or its image is not an artifact; rejects when an artifact cannot run. */
  moduleOf(containerId: string): Promise<ImageModule | undefined>;
}

/** A bundle made ready to run: rootfs mounted, spec read. */
export interface PreparedContainer {
  /** The container id (containerd's). */
  id: string;
  rootfsPath: string;
  /** The guest may not change its rootfs (root.readonly). */
  rootReadOnly: boolean;
  /** The spec's mounts that reach the guest, checked and with their mount points made. */
  mounts: GuestMount[];
  process: ProcessSpec;
  memoryLimitBytes?: number;
  /** linux.cgroupsPath of the spec, when it has one. */
  cgroupsPath?: string;
  annotations: Record<string, string>;
  /** The network the spec asks for (linux.namespaces). */
  networkNamespace: NetworkNamespace;
  /** Undoes what prepare did (unmounts the rootfs). Safe to call twice. */
  release(): Promise<void>;
}

export interface ContainerPreparer {
  prepare(id: string, bundle: string, rootfs: MountSpec[]): Promise<PreparedContainer>;
  /**
   * The module a process of the container runs: args[0] in its rootfs (or one of
   * its mounts), or, when the rootfs has no such file, the module layer of its
   * image. `what` names the process in errors.
   */
  resolveModule(container: Pick<PreparedContainer, 'id' | 'rootfsPath' | 'mounts'>, process: ProcessSpec, what: string): Promise<ResolvedModule>;
}
