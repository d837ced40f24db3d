import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IdleWatch } from '../../../src/shim/daemon/idle-watch.js';

const watches: IdleWatch[] = [];
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const watch of watches.splice(0)) watch.stop();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function leaving(options: { tasks: () => number; idleSeconds: number; containerdSocket: string }): Promise<string> {
  return new Promise((resolve) => {
    watches.push(new IdleWatch({ tasks: options.tasks, idleSeconds: () => options.idleSeconds, containerdSocket: options.containerdSocket, leave: resolve }));
  });
}

async function listeningSocket(): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'wasmts-idle-'));
  const file = path.join(dir, 'containerd.sock');
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(file, resolve));
  cleanups.push(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return file;
}

describe('the idle watch of a shared daemon', () => {
  it('lets the daemon go at once when, having no task, its containerd is gone', async () => {
    expect(await leaving({ tasks: () => 0, idleSeconds: 600, containerdSocket: '/nonexistent/containerd.sock' })).toBe('containerd is gone');
  });

  it('lets it go after the idle period while containerd is there', async () => {
    expect(await leaving({ tasks: () => 0, idleSeconds: 1, containerdSocket: await listeningSocket() })).toBe('idle');
  });

  it('keeps a daemon with tasks, whatever containerd does', async () => {
    let left = false;
    void leaving({ tasks: () => 1, idleSeconds: 1, containerdSocket: '/nonexistent/containerd.sock' }).then(() => (left = true));
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(left).toBe(false);
  });
});
