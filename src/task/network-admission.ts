import { FailedPreconditionError } from '../errors.js';
import { moduleImports, usesNetwork } from '../oci/module-imports.js';
import type { PreparedContainer, ResolvedModule } from '../oci/container.js';

/**
 * The container asked for a network namespace of its own and its module can
 * use a network (it imports socket calls), but this daemon runs its guests in
 * the host's network beside other containers' guests: the container needs a
 * daemon of its own, inside a fresh namespace. The shim hands it to one.
 */
export class OwnNetworkRequiredError extends FailedPreconditionError {}

/**
 * Lets a container's guest run in a daemon shared by several containers in the
 * host's network only when that cannot change what the guest sees: the spec
 * asks for the host's network, or for a fresh namespace while the module
 * imports no socket call (so it reaches no network at all) and no listening
 * socket is opened for it.
 */
export async function admitToSharedNetwork(container: PreparedContainer, module: ResolvedModule, listens: boolean): Promise<void> {
  if (container.networkNamespace.kind === 'host') return;
  if (container.networkNamespace.kind === 'path') {
    throw new OwnNetworkRequiredError(`task ${container.id} joins network namespace ${container.networkNamespace.path}`);
  }
  if (listens) throw new OwnNetworkRequiredError(`task ${container.id} has listening sockets opened for it in a network namespace of its own`);
  let imports;
  try {
    imports = await moduleImports(module.source);
  } catch {
    return; // malformed: loading the module reports it
  }
  if (usesNetwork(imports)) throw new OwnNetworkRequiredError(`task ${container.id}: ${module.name} imports socket calls and asks for a network namespace of its own`);
}
