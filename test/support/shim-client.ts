/**
 * Calls a task's shim directly over its ttrpc socket, for RPCs `ctr` 1.6 has
 * no command for (Update: CRI's UpdateContainerResources). containerd would
 * forward the same request bytes.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { containerd as api } from '../../src/generated/index.js';
import { TtrpcClient } from '../../src/ttrpc/index.js';
import type { CtrClient } from './containerd.js';

export const LINUX_RESOURCES_TYPE = 'types.containerd.io/opencontainers/runtime-spec/1/LinuxResources';

async function shimSocket(containerd: CtrClient, id: string): Promise<string> {
  const bundle = path.join(containerd.info.state, 'io.containerd.runtime.v2.task', containerd.namespace, id);
  return (await readFile(path.join(bundle, 'address'), 'utf8')).trim().replace(/^unix:\/\//, '');
}

/** UpdateTaskRequest with OCI LinuxResources, as CRI sends it. */
export async function updateTaskResources(containerd: CtrClient, id: string, resources: object): Promise<void> {
  const client = await TtrpcClient.connect(await shimSocket(containerd, id));
  try {
    const request = api.task.v2.UpdateTaskRequest.encode({
      id,
      resources: { typeUrl: LINUX_RESOURCES_TYPE, value: Buffer.from(JSON.stringify(resources)) },
    }).finish();
    await client.call('containerd.task.v2.Task', 'Update', request, { timeoutMs: 5_000 });
  } finally {
    client.close();
  }
}
