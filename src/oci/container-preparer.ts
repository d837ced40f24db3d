import { open } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import type { ContainerPreparer, ImageModule, ImageModuleSource, MountSpec, PreparedContainer, ProcessSpec, ResolvedModule } from './container.js';
import { planMounts } from './spec-mounts.js';
import { readBundleSpec } from './bundle-spec.js';
import { NotInRootfsError, resolveEntrypoint } from './entrypoint.js';
import { describeNonModule, isNativeProgram, NativeProgramError } from './module-kind.js';
import { mountRootfs, unmountAll } from './rootfs-mounts.js';

/**
 * Makes a bundle ready to run: mounts its rootfs and reads its spec. `images`
 * finds the module of a container whose image is a wasm OCI artifact (its
 * rootfs is empty); without it, modules come from the rootfs only.
 */
export class BundlePreparer implements ContainerPreparer {
  private readonly images: ImageModuleSource | undefined;

  constructor(images?: ImageModuleSource) {
    this.images = images;
  }

  async prepare(id: string, bundle: string, rootfs: MountSpec[]): Promise<PreparedContainer> {
    const mountPoint = path.join(bundle, 'rootfs');
    await mountRootfs(rootfs, mountPoint);
    try {
      const spec = await readBundleSpec(bundle);
      const plan = planMounts(spec.mounts, spec.rootPath, bundle);
      let released = false;
      return {
        id,
        rootfsPath: spec.rootPath,
        rootReadOnly: spec.rootReadOnly,
        mounts: plan.mounts,
        process: spec.process,
        annotations: spec.annotations,
        networkNamespace: spec.networkNamespace,
        ...(spec.memoryLimitBytes !== undefined ? { memoryLimitBytes: spec.memoryLimitBytes } : {}),
        ...(spec.cgroupsPath !== undefined ? { cgroupsPath: spec.cgroupsPath } : {}),
        release: async () => {
          if (released) return;
          released = true;
          plan.cleanup();
          if (rootfs.length > 0) await unmountAll(mountPoint);
        },
      };
    } catch (error) {
      if (rootfs.length > 0) await unmountAll(mountPoint).catch(() => {});
      throw error;
    }
  }

  async resolveModule(container: Pick<PreparedContainer, 'id' | 'rootfsPath' | 'mounts'>, process: ProcessSpec, what: string): Promise<ResolvedModule> {
    const guestPath = process.args[0];
    let notInRootfs: NotInRootfsError | undefined;
    if (guestPath !== undefined && guestPath !== '') {
      try {
        const hostPath = await resolveEntrypoint(container.rootfsPath, guestPath, process.cwd, container.mounts);
        // A Linux program is told apart at once: in a pod, runc runs it instead.
        const head = await readHead(hostPath);
        if (isNativeProgram(head)) throw new NativeProgramError(describeNonModule(head, guestPath)!);
        return { name: guestPath, source: { kind: 'file', hostPath }, args: process.args };
      } catch (error) {
        if (!(error instanceof NotInRootfsError)) throw error;
        notInRootfs = error;
      }
    }
    // Only now, on what would otherwise be an error, is containerd asked: other images pay nothing.
    const module = await this.imageModuleOf(container.id, notInRootfs);
    if (module === undefined) {
      throw notInRootfs ?? new InvalidArgumentError(`${what}: the process has no args, so there is no module to run`);
    }
    return {
      name: `${module.image}@${module.digest}`,
      source: { kind: 'blob', bytes: module.bytes, digest: module.digest },
      // argv[0] is the program's name: the image's when the client gave no args.
      args: process.args.length > 0 ? process.args : [module.image],
    };
  }

  /** The image's module; when the image cannot be checked, an error that also says what the rootfs lacked. */
  private async imageModuleOf(id: string, notInRootfs: NotInRootfsError | undefined): Promise<ImageModule | undefined> {
    try {
      return await this.images?.moduleOf(id);
    } catch (error) {
      if (notInRootfs === undefined || error instanceof InvalidArgumentError) throw error;
      throw new InvalidArgumentError(
        `${notInRootfs.message}, and its image could not be checked for a wasm module layer: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  }
}

/** The first bytes of a file: enough to tell what it is. */
async function readHead(file: string): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(64);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
