import { SandboxInstance } from '../instance/sandbox-instance.js';
import { tcpListenAddresses } from '../oci/tcp-listen.js';
import { isPodSandbox } from '../oci/bundle-spec.js';
import type { OpenedStdio, PreparedContainer, ProcessSpec, TaskServiceDeps } from './collaborators.js';
import type { StdioPaths } from './events.js';
import { ProcessRecord } from './process-record.js';
import { admitToSharedNetwork } from './network-admission.js';

export { isPodSandbox } from '../oci/bundle-spec.js';

/**
 * Makes one process of a task, not yet started: resolves its module (in the
 * rootfs, or its image's module layer), opens its stdio, has the engine load the module, and lets its
 * terminal (if any) signal it. A pod's sandbox gets a built-in idle instance
 * instead, reporting the daemon's pid: the daemon lives in the pod's network
 * namespace, which CRI has the pod's containers join as /proc/<pid>/ns/net,
 * and joins the pod's cgroup.
 */
export async function createProcess(
  deps: Pick<TaskServiceDeps, 'engine' | 'preparer' | 'stdio' | 'shimPid' | 'clock' | 'logger' | 'cgroups' | 'sharedNetwork'>,
  containerId: string,
  execId: string,
  container: PreparedContainer,
  spec: ProcessSpec,
  paths: StdioPaths,
): Promise<ProcessRecord> {
  if (execId === '' && isPodSandbox(container.annotations)) {
    // The daemon runs the pod's containers: it goes where runc would put the pod's processes.
    if (container.cgroupsPath !== undefined) await deps.cgroups?.enter(container.cgroupsPath);
    const stdio: OpenedStdio = await deps.stdio.open(paths, { containerId, execId });
    const instance = new SandboxInstance({
      pid: deps.shimPid,
      stdio: { stdin: stdio.stdin, stdout: stdio.stdout, stderr: stdio.stderr },
      ...(deps.clock !== undefined ? { clock: deps.clock } : {}),
    });
    return new ProcessRecord(containerId, execId, instance, stdio, paths, deps.logger.child(execId === '' ? { task: containerId } : { task: containerId, exec: execId }));
  }
  const what = execId === '' ? `task ${containerId}` : `exec ${execId} of task ${containerId}`;
  const module = await deps.preparer.resolveModule(container, spec, what);
  const listens = execId === '' ? tcpListenAddresses(container.annotations) : [];
  // A daemon shared by containers in the host's network takes a container only where that changes nothing for it.
  if (execId === '' && deps.sharedNetwork === true) await admitToSharedNetwork(container, module, listens.length > 0);
  const stdio: OpenedStdio = await deps.stdio.open(paths, { containerId, execId });
  try {
    const instance = await deps.engine.create({
      id: execId === '' ? containerId : execId,
      module: module.source,
      moduleName: module.name,
      args: module.args,
      env: spec.env,
      cwd: spec.cwd,
      rootfsPath: container.rootfsPath,
      ...(container.rootReadOnly ? { rootReadOnly: true } : {}),
      ...(container.mounts.length > 0 ? { mounts: container.mounts } : {}),
      stdio: { stdin: stdio.stdin, stdout: stdio.stdout, stderr: stdio.stderr },
      ...(stdio.terminal !== undefined ? { terminal: true } : {}),
      ...(container.memoryLimitBytes !== undefined ? { memoryLimitBytes: container.memoryLimitBytes } : {}),
      // Only the init listens: an exec must not try to bind the same ports again.
      ...(execId === '' ? { tcpListen: listens } : {}),
    });
    const record = new ProcessRecord(containerId, execId, instance, stdio, paths, deps.logger.child(execId === '' ? { task: containerId } : { task: containerId, exec: execId }));
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
