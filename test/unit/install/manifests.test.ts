import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HANDLER } from '../../../src/install/containerd-config.js';
import { REPO_ROOT } from '../../support/fixtures.js';

const read = (file: string): string => fs.readFileSync(path.join(REPO_ROOT, 'deploy', file), 'utf8');

describe('the Kubernetes manifests', () => {
  it('name the handler the installer registers, and select the nodes the DaemonSet labels', () => {
    const runtimeClass = read('runtimeclass.yaml');
    const daemonSet = read('installer-daemonset.yaml');
    expect(runtimeClass).toMatch(new RegExp(`^handler: ${DEFAULT_HANDLER}$`, 'm'));
    const selected = /nodeSelector:\n\s+([\w./-]+): (\S+)/.exec(runtimeClass);
    expect(selected).not.toBeNull();
    const [, label, value] = selected as unknown as [string, string, string];
    expect(daemonSet).toContain(`"${label}=${value}"`);
    expect(read('pod-example.yaml')).toMatch(/runtimeClassName: wasmts$/m);
  });

  it('run the installer privileged against the node root with hostPID, as install.sh --host-root expects', () => {
    const daemonSet = read('installer-daemonset.yaml');
    expect(daemonSet).toMatch(/hostPID: true/);
    expect(daemonSet).toMatch(/args: \["install", "--host-root", "\/host"/);
    expect(daemonSet).toMatch(/privileged: true/);
    expect(daemonSet).toMatch(/mountPath: \/host\n[\s\S]*hostPath:\n\s+path: \/\n/);
    expect(read('Dockerfile')).toMatch(/^ENTRYPOINT \["\/opt\/wasmts\/install.sh"\]$/m);
  });
});
