/**
 * The installer's proof that the node runs wasm: the release's check image
 * (one module printing one line, built by scripts/release) run through `ctr` in
 * a namespace of its own, removed afterwards.
 */
import { RUNTIME_TYPE } from './containerd-config.js';
import type { Host } from './host.js';
import { InstallError } from './install-error.js';

export const CHECK_NAMESPACE = 'wasmts-install-check';
export const CHECK_REFERENCE = 'docker.io/wasmts/install-check:latest';
/** What the check image prints. */
export const CHECK_OUTPUT = 'wasmts runs wasm on this node\n';

export async function runInstallCheck(host: Host, { address, ctr, image }: { address: string; ctr: string; image: string }): Promise<void> {
  const run = (args: readonly string[]) => host.run([ctr, '--address', address, ...args]);
  const ns = ['--namespace', CHECK_NAMESPACE];
  const imported = await run([...ns, 'images', 'import', '--all-platforms', image]);
  if (imported.code !== 0) throw new InstallError(`the check could not import ${image}: ${imported.stderr.trim()}`);
  const result = await run([...ns, 'run', '--rm', '--runtime', RUNTIME_TYPE, CHECK_REFERENCE, `wasmts-install-check-${process.pid}`]);
  await run([...ns, 'images', 'rm', CHECK_REFERENCE]);
  await run(['namespaces', 'rm', CHECK_NAMESPACE]);
  if (result.code !== 0 || result.stdout !== CHECK_OUTPUT) {
    throw new InstallError(`the check container did not run (exit ${result.code}): ${(result.stderr || result.stdout).trim()}`);
  }
}
