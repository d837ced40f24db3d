import { mkdir, readFile } from 'node:fs/promises';
import { InternalError } from '../errors.js';
import { runCommand as run } from './command-shell.js';
import type { MountSpec } from './container.js';

/** The argv for mount(8) that performs one containerd.types.Mount onto `target`. */
export function mountArgs(mount: MountSpec, target: string): string[] {
  const options = [...mount.options];
  const args: string[] = [];
  // containerd describes bind mounts as type "bind" with "rbind"/"bind" among the options.
  const isBind = mount.type === 'bind' || mount.type === 'rbind';
  if (isBind && !options.some((o) => o === 'bind' || o === 'rbind')) options.unshift(mount.type);
  if (!isBind && mount.type !== '') args.push('-t', mount.type);
  if (options.length > 0) args.push('-o', options.join(','));
  args.push(mount.source, target);
  return args;
}

async function stderrOf(error: unknown): Promise<string> {
  const stderr = (error as { stderr?: string }).stderr;
  return typeof stderr === 'string' && stderr.trim() !== '' ? stderr.trim() : String(error);
}

/**
 * Mounts the rootfs mounts of a CreateTaskRequest, in order, onto `target`
 * (created 0711 if missing). On failure, whatever was mounted is undone.
 */
export async function mountRootfs(mounts: readonly MountSpec[], target: string): Promise<void> {
  if (mounts.length === 0) return;
  await mkdir(target, { recursive: true, mode: 0o711 });
  let mounted = 0;
  try {
    for (const mount of mounts) {
      try {
        await run('mount', mountArgs(mount, target));
      } catch (error) {
        throw new InternalError(`mount ${mount.type} ${mount.source} on ${target}: ${await stderrOf(error)}`, {
          cause: error,
        });
      }
      mounted++;
    }
  } catch (error) {
    for (let i = 0; i < mounted; i++) await unmountAll(target).catch(() => {});
    throw error;
  }
}

async function isMountPoint(target: string): Promise<boolean> {
  const table = await readFile('/proc/self/mountinfo', 'utf8');
  return table.split('\n').some((line) => line.split(' ')[4] === target);
}

/** Unmounts everything stacked on `target`. Idempotent: nothing mounted is fine. */
export async function unmountAll(target: string): Promise<void> {
  for (let attempt = 0; attempt < 16 && (await isMountPoint(target)); attempt++) {
    try {
      await run('umount', [target]);
    } catch (error) {
      // Busy (a guest's file still open elsewhere): detach it so the bundle can go.
      try {
        await run('umount', ['--lazy', target]);
      } catch {
        throw new InternalError(`unmount ${target}: ${await stderrOf(error)}`, { cause: error });
      }
    }
  }
}
