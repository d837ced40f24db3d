/**
 * Restarting containerd so that it loads a changed config, then waiting until it
 * serves again: through systemd where the node runs it, a command of the
 * operator's, or SIGTERM for a supervisor that starts it again.
 */
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Host } from './host.js';
import { InstallError } from './install-error.js';

export type RestartMode =
  | { kind: 'auto' }
  | { kind: 'systemd'; unit: string }
  | { kind: 'none' }
  | { kind: 'signal'; pidFile?: string }
  | { kind: 'command'; command: string };

export interface RestartContext {
  /** containerd's socket, to see it serve again. */
  address: string;
  ctr: string;
  log: (line: string) => void;
}

export async function restartContainerd(host: Host, restart: RestartMode, { address, ctr, log }: RestartContext): Promise<void> {
  let mode = restart;
  if (mode.kind === 'auto') {
    if (!fs.existsSync(host.file('/run/systemd/system'))) {
      throw new InstallError(
        "containerd's config changed, but this node does not run systemd: restart containerd with --restart-command '<command>', " +
          '--restart signal (its supervisor starts it again), or --restart none and restart it yourself',
      );
    }
    mode = { kind: 'systemd', unit: 'containerd' };
  }
  switch (mode.kind) {
    case 'none':
      log('containerd config changed: restart containerd to load it (--restart none)');
      return;
    case 'systemd': {
      log(`restarting ${mode.unit} (systemctl)`);
      const result = await host.run(['systemctl', 'restart', mode.unit]);
      if (result.code !== 0) throw new InstallError(`systemctl restart ${mode.unit} failed: ${result.stderr.trim()}`);
      break;
    }
    case 'command': {
      log(`restarting containerd: ${mode.command}`);
      const result = await host.run(['sh', '-c', mode.command]);
      if (result.code !== 0) throw new InstallError(`the restart command failed (exit ${result.code}): ${result.stderr.trim()}`);
      break;
    }
    case 'signal': {
      const pid = await containerdPid(host, mode.pidFile);
      log(`sending SIGTERM to containerd (pid ${pid}) for its supervisor to start it again`);
      const result = await host.run(['kill', '-TERM', String(pid)]);
      if (result.code !== 0) throw new InstallError(`cannot signal containerd (pid ${pid}): ${result.stderr.trim()}`);
      await until(`containerd (pid ${pid}) to exit`, async () => (await host.run(['kill', '-0', String(pid)])).code !== 0);
      break;
    }
  }
  await until(`containerd to serve on ${address}`, async () => (await host.run([ctr, '--address', address, 'version'])).code === 0);
}

async function containerdPid(host: Host, pidFile: string | undefined): Promise<number> {
  if (pidFile !== undefined) {
    let text = '';
    try {
      text = fs.readFileSync(host.file(pidFile), 'utf8');
    } catch {
      // reported below
    }
    const pid = Number(text.trim());
    if (Number.isInteger(pid) && pid > 0) return pid;
    throw new InstallError(`no containerd pid in ${pidFile}`);
  }
  const result = await host.run(['pidof', 'containerd']);
  const pids = result.stdout.trim().split(/\s+/).filter(Boolean);
  if (pids.length !== 1) throw new InstallError(`cannot tell which process is containerd (pidof containerd: "${result.stdout.trim()}"); pass --pid-file`);
  return Number(pids[0]);
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new InstallError(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(200);
  }
}
