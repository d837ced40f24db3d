import { InvalidArgumentError } from '../errors.js';
import { tcpListenAddresses } from '../oci/tcp-listen.js';
import type { OpenedStdio, PreparedContainer, ProcessSpec, TaskServiceDeps } from './collaborators.js';
import type { StdioPaths } from './events.js';
import { ProcessRecord } from './process-record.js';

/**
 * Makes one process of a task, not yet started: resolves its module in the
 * rootfs, opens its stdio, has the engine load the module, and lets its
 * terminal (if any) signal it.
 */
export async function createProcess(
  deps: Pick<TaskServiceDeps, 'engine' | 'preparer' | 'stdio'>,
  containerId: string,
  execId: string,
  container: PreparedContainer,
  spec: ProcessSpec,
  paths: StdioPaths,
): Promise<ProcessRecord> {
  const what = execId === '' ? `task ${containerId}` : `exec ${execId} of task ${containerId}`;
  const guestPath = spec.args[0];
  if (guestPath === undefined || guestPath === '') {
    throw new InvalidArgumentError(`${what}: the process has no args, so there is no module to run`);
  }
  const modulePath = await deps.preparer.resolveEntrypoint(container.rootfsPath, guestPath, spec.cwd);
  const stdio: OpenedStdio = await deps.stdio.open(paths, { containerId, execId });
  try {
    const instance = await deps.engine.create({
      id: execId === '' ? containerId : execId,
      modulePath,
      moduleGuestPath: guestPath,
      args: spec.args,
      env: spec.env,
      cwd: spec.cwd,
      rootfsPath: container.rootfsPath,
      stdio: { stdin: stdio.stdin, stdout: stdio.stdout, stderr: stdio.stderr },
      ...(stdio.terminal !== undefined ? { terminal: true } : {}),
      ...(container.memoryLimitBytes !== undefined ? { memoryLimitBytes: container.memoryLimitBytes } : {}),
      // Only the init listens: an exec must not try to bind the same ports again.
      ...(execId === '' ? { tcpListen: tcpListenAddresses(container.annotations) } : {}),
    });
    const record = new ProcessRecord(containerId, execId, instance, stdio, paths);
    // Keys typed at the terminal signal its foreground process, here the guest.
    stdio.terminal?.onSignal((signal) => {
      if (record.isLive) void instance.kill(signal);
    });
    return record;
  } catch (error) {
    await stdio.close();
    throw error;
  }
}
