/**
 * The shim runner: turns containerd's invocation into one action. `start` and
 * `delete` are containerd's; `serve` is the daemon `start` spawns.
 */
import { describeError } from '../../errors.js';
import { parseFlags } from './flags.js';
import { RUNTIME_NAME } from './socket-address.js';
import { BINARY_NAME, RUNTIME_VERSION, versionText } from './version.js';

// Each action loads only what it uses: `start` runs for every container, and
// the generated protobuf code alone takes tens of milliseconds to load.

export { BINARY_NAME } from './version.js';

async function readStdin(): Promise<Uint8Array> {
  if (process.stdin.isTTY) return new Uint8Array(0);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function write(output: Uint8Array | string): Promise<void> {
  return new Promise((resolve) => process.stdout.write(output, () => resolve()));
}

export async function main(argv: readonly string[]): Promise<number> {
  const flags = parseFlags(argv);
  if (flags.version) {
    await write(versionText(BINARY_NAME));
    return 0;
  }
  if (flags.info) {
    await readStdin();
    const { containerd } = await import('../../generated/index.js');
    await write(
      containerd.types.RuntimeInfo.encode({
        name: RUNTIME_NAME,
        version: { version: RUNTIME_VERSION, revision: '' },
      }).finish(),
    );
    return 0;
  }
  try {
    switch (flags.action) {
      case 'start': {
        const { startAction } = await import('./start-action.js');
        await write(await startAction(flags, await readStdin()));
        return 0;
      }
      case 'delete': {
        const { deleteAction } = await import('./delete-action.js');
        await write(await deleteAction(flags));
        return 0;
      }
      case 'serve': {
        const { serveColdDaemon } = await import('../daemon/cold-daemon.js');
        serveColdDaemon(flags);
        return -1; // keeps running
      }
      case 'spare': {
        const { runSpare } = await import('../daemon/spare.js');
        await runSpare();
        return -1;
      }
      default:
        process.stderr.write(`${BINARY_NAME}: unknown action ${JSON.stringify(flags.action)}; expected start or delete\n`);
        return 1;
    }
  } catch (error) {
    // containerd shows start's combined output in its error: one line that says what failed.
    process.stderr.write(`${BINARY_NAME} ${flags.action}: ${describeError(error)}\n`);
    return 1;
  }
}
