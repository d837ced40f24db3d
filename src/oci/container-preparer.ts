import path from 'node:path';
import type { ContainerPreparer, MountSpec, PreparedContainer } from './container.js';
import { planMounts } from './spec-mounts.js';
import { readBundleSpec } from './bundle-spec.js';
import { resolveEntrypoint } from './entrypoint.js';
import { mountRootfs, unmountAll } from './rootfs-mounts.js';

/** Makes a bundle ready to run: mounts its rootfs and reads its spec. */
export class BundlePreparer implements ContainerPreparer {
  async prepare(bundle: string, rootfs: MountSpec[]): Promise<PreparedContainer> {
    const mountPoint = path.join(bundle, 'rootfs');
    await mountRootfs(rootfs, mountPoint);
    try {
      const spec = await readBundleSpec(bundle);
      const plan = planMounts(spec.mounts, spec.rootPath, bundle);
      let released = false;
      return {
        rootfsPath: spec.rootPath,
        rootReadOnly: spec.rootReadOnly,
        mounts: plan.mounts,
        process: spec.process,
        annotations: spec.annotations,
        ...(spec.memoryLimitBytes !== undefined ? { memoryLimitBytes: spec.memoryLimitBytes } : {}),
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

  resolveEntrypoint(container: Pick<PreparedContainer, 'rootfsPath' | 'mounts'>, guestPath: string, cwd: string): Promise<string> {
    return resolveEntrypoint(container.rootfsPath, guestPath, cwd, container.mounts);
  }
}
