/**
 * What the task service needs from a bundle, and the types that describe it:
 * the OCI layer's side of the boundary (the task layer imports these; this
 * folder imports nothing from above it).
 */

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

/** A bundle made ready to run: rootfs mounted, spec read. */
export interface PreparedContainer {
  rootfsPath: string;
  /** The guest may not change its rootfs (root.readonly). */
  rootReadOnly: boolean;
  /** The spec's mounts that reach the guest, checked and with their mount points made. */
  mounts: GuestMount[];
  process: ProcessSpec;
  memoryLimitBytes?: number;
  annotations: Record<string, string>;
  /** Undoes what prepare did (unmounts the rootfs). Safe to call twice. */
  release(): Promise<void>;
}

export interface ContainerPreparer {
  prepare(bundle: string, rootfs: MountSpec[]): Promise<PreparedContainer>;
  /** Resolves a guest path (e.g. process.args[0]) to a host path inside the rootfs or one of its mounts. */
  resolveEntrypoint(container: Pick<PreparedContainer, 'rootfsPath' | 'mounts'>, guestPath: string, cwd: string): Promise<string>;
}
