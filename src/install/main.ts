/**
 * The node installer's command line (the release's install.sh runs it on the
 * release's own Node.js):
 *
 *   install.sh [install|uninstall] [options]
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_HANDLER } from './containerd-config.js';
import { Host } from './host.js';
import { InstallError } from './install-error.js';
import { NodeInstaller, type RestartMode } from './node-installer.js';

export const USAGE = `usage: install.sh [install|uninstall] [options]

  --prefix DIR            where to install (default /usr/local: the shim goes to DIR/bin, on containerd's PATH)
  --config FILE           containerd's config (default /etc/containerd/config.toml)
  --create-config         write that config if there is none (containerd runs on its defaults then)
  --handler NAME          the CRI runtime handler, what a RuntimeClass names (default wasmts)
  --restart MODE          how to restart containerd when its config changed: auto (systemd if the node runs it),
                          systemd, signal (SIGTERM; a supervisor starts it again), none (default auto)
  --restart-command CMD   restart containerd with this shell command instead
  --unit NAME             the systemd unit (default containerd)
  --pid-file FILE         containerd's pid, for --restart signal (default: pidof containerd)
  --address SOCKET        containerd's socket for the check (default: the config's grpc.address)
  --containerd PATH       the containerd binary (default containerd, on the node's PATH)
  --ctr PATH              the ctr binary for the check (default ctr)
  --no-check              do not run the wasm check container after installing
  --docker-config FILE    also register a Docker runtime alias in this daemon.json
  --docker-alias NAME     that alias (default wasmts)
  --host-root DIR         the node's / is mounted at DIR (a privileged pod with hostPID): files go there,
                          commands run in the node's namespaces through nsenter
`;

function restartMode(values: Record<string, string | boolean | undefined>): RestartMode {
  if (typeof values['restart-command'] === 'string') return { kind: 'command', command: values['restart-command'] };
  switch (values.restart ?? 'auto') {
    case 'auto':
      return { kind: 'auto' };
    case 'systemd':
      return { kind: 'systemd', unit: typeof values.unit === 'string' ? values.unit : 'containerd' };
    case 'signal':
      return typeof values['pid-file'] === 'string' ? { kind: 'signal', pidFile: values['pid-file'] } : { kind: 'signal' };
    case 'none':
      return { kind: 'none' };
    default:
      throw new InstallError(`--restart ${String(values.restart)}: use auto, systemd, signal or none`);
  }
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        prefix: { type: 'string', default: '/usr/local' },
        config: { type: 'string', default: '/etc/containerd/config.toml' },
        handler: { type: 'string', default: DEFAULT_HANDLER },
        restart: { type: 'string' },
        'restart-command': { type: 'string' },
        unit: { type: 'string' },
        'pid-file': { type: 'string' },
        address: { type: 'string' },
        containerd: { type: 'string', default: 'containerd' },
        ctr: { type: 'string', default: 'ctr' },
        'no-check': { type: 'boolean', default: false },
        'create-config': { type: 'boolean', default: false },
        'docker-config': { type: 'string' },
        'docker-alias': { type: 'string' },
        'host-root': { type: 'string', default: '/' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const action = positionals[0] ?? 'install';
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  if ((action !== 'install' && action !== 'uninstall') || positionals.length > 1) {
    process.stderr.write(`unknown action ${positionals.join(' ')}\n${USAGE}`);
    return 2;
  }
  const log = (line: string): void => void process.stdout.write(`wasmts: ${line}\n`);
  try {
    for (const key of ['prefix', 'config'] as const) {
      if (!path.isAbsolute(values[key])) throw new InstallError(`--${key} must be an absolute path on the node`);
    }
    const installer = new NodeInstaller(new Host(values['host-root']), {
      // dist/install/main.js inside the release's lib/wasmts.
      releaseHome: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..'),
      prefix: values.prefix,
      config: values.config,
      handler: values.handler,
      restart: restartMode(values),
      check: values['no-check'] !== true,
      createConfig: values['create-config'] === true,
      containerd: values.containerd,
      ctr: values.ctr,
      ...(values.address !== undefined ? { address: values.address } : {}),
      ...(values['docker-config'] !== undefined ? { dockerConfig: values['docker-config'] } : {}),
      ...(values['docker-alias'] !== undefined ? { dockerAlias: values['docker-alias'] } : {}),
      log,
    });
    if (action === 'install') await installer.install();
    else await installer.uninstall();
    return 0;
  } catch (error) {
    if (!(error instanceof InstallError)) throw error;
    process.stderr.write(`wasmts: ${error.message}\n`);
    return 1;
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  process.exitCode = await main(process.argv.slice(2));
}
