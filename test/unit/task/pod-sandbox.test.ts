import { describe, expect, it } from 'vitest';
import type { OpenedStdio, StdioOpener } from '../../../src/task/collaborators.js';
import { createRequest, harness, settle } from './stub-engine.js';

const init = (id: string) => ({ id, execId: '' });
const SANDBOX = { 'io.kubernetes.cri.container-type': 'sandbox', 'io.kubernetes.cri.sandbox-id': 'pod1' };
/** CRI starts the sandbox with no stdio at all (containerd's NullIO). */
const noStdio: StdioOpener = {
  async open(): Promise<OpenedStdio> {
    return { close: async () => {} };
  },
};

describe('a pod sandbox task', () => {
  it('loads no module and checks no entrypoint, and reports the daemon pid', async () => {
    const { service, engine, events, resolved } = harness({ annotations: SANDBOX, stdio: noStdio });
    const { pid } = await service.create(createRequest('pod1'));
    expect(pid).toBe(42);
    expect(engine.instances).toEqual([]);
    expect(resolved).toEqual([]);
    expect(events[0]).toMatchObject({ topic: '/tasks/create', containerId: 'pod1', pid: 42 });
  });

  it('runs until SIGTERM and then exits 0, as pause does', async () => {
    const { service, events } = harness({ annotations: SANDBOX, stdio: noStdio });
    await service.create(createRequest('pod1'));
    await service.start(init('pod1'));
    await settle();
    expect((await service.state(init('pod1'))).status).toBe(2);
    await service.kill({ ...init('pod1'), signal: 15, all: false });
    await expect(service.wait(init('pod1'))).resolves.toMatchObject({ exitStatus: 0 });
    await settle();
    expect(events.map((e) => e.topic)).toEqual(['/tasks/create', '/tasks/start', '/tasks/exit']);
    expect(events[2]).toMatchObject({ containerId: 'pod1', pid: 42, exitStatus: 0 });
  });

  it('exits 137 on SIGKILL and can then be deleted', async () => {
    const { service, released } = harness({ annotations: SANDBOX, stdio: noStdio });
    await service.create(createRequest('pod1'));
    await service.start(init('pod1'));
    await service.kill({ ...init('pod1'), signal: 9, all: true });
    await expect(service.wait(init('pod1'))).resolves.toMatchObject({ exitStatus: 137 });
    await settle();
    await expect(service.delete(init('pod1'))).resolves.toMatchObject({ pid: 42, exitStatus: 137 });
    expect(released).toEqual(['/bundles/pod1']);
    expect(await service.shutdown()).toBe(true);
  });

  it('runs an app container of the pod as a wasm guest beside it', async () => {
    const { service, engine } = harness({
      annotations: { 'io.kubernetes.cri.container-type': 'container', 'io.kubernetes.cri.sandbox-id': 'pod1' },
    });
    const { pid } = await service.create(createRequest('app'));
    expect(pid).toBe(1000);
    expect(engine.instances[0]?.config).toMatchObject({ module: { kind: 'file', hostPath: '/bundles/app/rootfs/app.wasm' } });
  });
});
