/**
 * The network a group's daemon (and so every guest it runs) lives in, as the
 * bundle's OCI spec asks, the way runc reads `linux.namespaces`:
 * - no `network` namespace (`ctr run --net-host`): the host's network;
 * - a `network` namespace without a path (plain `ctr run`): a fresh one of its
 *   own, with only loopback, brought up;
 * - a `network` namespace with a path (a Kubernetes pod's): that one.
 * `start` launches the daemon through util-linux's `unshare --net` or
 * `nsenter --net=<path>` (and iproute2's `ip` for loopback). Kept free of
 * heavy imports: `start` loads this for every container.
 */
import { existsSync } from 'node:fs';
import { FailedPreconditionError, InvalidArgumentError } from '../../errors.js';

import type { NetworkNamespace } from '../../oci/bundle-spec.js';
import { Env } from './environment.js';
import { findHostTool } from './host-tools.js';

export type { NetworkNamespace };

/** The network namespace the spec asked for (oci/bundle-spec.ts reads it), refusing a path that does not exist. */
export function requireNetworkNamespace(ns: NetworkNamespace): NetworkNamespace {
  if (ns.kind === 'path' && !existsSync(ns.path)) {
    throw new InvalidArgumentError(`the OCI spec asks for network namespace ${ns.path}, which does not exist`);
  }
  return ns;
}

/** A host tool the namespace needs, or an error that says which package has it. */
function tool(name: string, pkg: string, why: string): string {
  const found = findHostTool(name, process.env.PATH);
  if (found !== undefined) return found;
  throw new FailedPreconditionError(`${why}, which needs \`${name}\` (Debian package ${pkg}); install it or run with --net-host`);
}

export interface DaemonLaunch {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/**
 * How to start the daemon `node args...` in the namespace: as is for the
 * host's, else wrapped so that it execs into node (same pid, same inherited
 * fds) once inside. A daemon in a fresh namespace keeps spares of that kind
 * (each in a fresh namespace of its own); one in a given namespace keeps none.
 */
export function daemonLaunch(ns: NetworkNamespace, node: string, args: readonly string[], env: NodeJS.ProcessEnv): DaemonLaunch {
  switch (ns.kind) {
    case 'host':
      return { command: node, args: [...args], env };
    case 'path': {
      const nsenter = tool('nsenter', 'util-linux', `the spec asks for network namespace ${ns.path}`);
      return { command: nsenter, args: [`--net=${ns.path}`, '--', node, ...args], env: { ...env, [Env.SPARE]: '0' } };
    }
    case 'new': {
      const why = 'the spec asks for a network namespace of its own';
      const unshare = tool('unshare', 'util-linux', why);
      const ip = tool('ip', 'iproute2', why);
      // A new namespace has only `lo`, and it is down. If `ip` fails, the daemon
      // still starts (its message is in the shim log) and the guest has no network.
      const script = `${ip} link set lo up; exec "$0" "$@"`;
      return { command: unshare, args: ['--net', '--', '/bin/sh', '-c', script, node, ...args], env: { ...env, [Env.SPARE_NETWORK]: 'new' } };
    }
  }
}
