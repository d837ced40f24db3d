import { spawn } from 'node:child_process';
import type net from 'node:net';
import { closeSync, constants, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from '../../errors.js';
import { parseBootstrapParams } from './bootstrap.js';
import type { ShimFlags } from './flags.js';
import { claimSocket, isServing } from '../daemon/group-socket.js';
import { ENTRY_SCRIPT } from '../../layout.js';
import { openBundleLog, SHARED_GROUP_ENV, type SpareNetwork, sparesEnabled } from '../daemon/handoff.js';
import { isPodSandbox, joinsNamespaceDaemon, NAMESPACE_GROUP, readStartSpec } from '../../oci/bundle-spec.js';
import { cgroupTargets, joiningLaunch, makeCgroups } from '../daemon/cgroup-placement.js';
import { Env } from '../daemon/environment.js';
import { type DaemonLaunch, daemonLaunch, requireNetworkNamespace } from '../daemon/network-namespace.js';
import { claimSpare } from '../daemon/spare-client.js';
import { ensureSpare } from '../daemon/spare-launch.js';
import { canEnterNetworkNamespace } from '../daemon/namespace-entry.js';
import { DEFAULT_SOCKET_DIR, socketPath, socketUri } from './socket-address.js';
import { chooseTaskApi, encodeStartReply, type TaskApiVersion } from './start-reply.js';
import { cachedVersionQuery } from './version-cache.js';


/** The argv of a cold daemon serving `socket`. */
function serveArgs(flags: ShimFlags, id: string, socket: string): string[] {
  return [
    ENTRY_SCRIPT,
    '-namespace', flags.namespace,
    '-address', flags.address,
    '-publish-binary', flags.publishBinary,
    '-id', id,
    '-socket', socket,
    ...(flags.debug ? ['-debug'] : []),
    'serve',
  ];
}

function daemonEnvOf(env: NodeJS.ProcessEnv, sharedGroup: boolean, namespaceDaemon: boolean): NodeJS.ProcessEnv {
  return {
    ...env,
    ...(sharedGroup ? { [SHARED_GROUP_ENV]: '1' } : {}),
    ...(namespaceDaemon ? { [Env.NAMESPACE_DAEMON]: '1' } : {}),
  };
}

/**
 * Spawns a daemon detached, in the bundle, with the bound socket `server` as its
 * fd 3 and the bundle's `log` FIFO (/dev/null without one) as its stderr, then lets go of the socket
 * (closing it here leaves the file: see claimSocket).
 */
function launchCold(launch: DaemonLaunch, bundle: string | undefined, server: net.Server): void {
  const listenFd = (server as unknown as { _handle: { fd: number } })._handle.fd;
  const logFd = bundle === undefined ? openSync('/dev/null', constants.O_WRONLY) : openBundleLog(bundle);
  const child = spawn(launch.command, launch.args, {
    cwd: bundle ?? '/',
    detached: true,
    env: launch.env,
    stdio: ['ignore', 'ignore', logFd, listenFd],
  });
  child.unref();
  closeSync(logFd);
  server.close();
}

/**
 * Starts the namespace's shared daemon ahead of need when it is not running, so
 * that containerd's next `start` in the namespace (a pod's next container, the
 * next pod) is answered by it, without Node. It lives in the host's network and
 * in this process's cgroup (containerd's), never in a pod's.
 */
async function ensureSharedDaemon(flags: ShimFlags, env: NodeJS.ProcessEnv): Promise<void> {
  const file = socketPath(flags.address, flags.namespace, NAMESPACE_GROUP);
  const server = await claimSocket(file).catch(() => undefined);
  if (server === undefined) return;
  launchCold(daemonLaunch({ kind: 'host' }, process.execPath, serveArgs(flags, flags.id, file), daemonEnvOf(env, true, true)), undefined, server);
}

/** Starts a spare of `network` unless one waits, now or (from a daemon, which outlives this `start`) after `delayMs`. */
async function keepSpare(network: SpareNetwork, containerdAddress: string, delayMs: number): Promise<void> {
  if (delayMs <= 0) return ensureSpare(network, containerdAddress);
  setTimeout(() => void ensureSpare(network, containerdAddress), delayMs).unref();
}

function writeAddressFile(bundle: string, address: string): void {
  const tmp = path.join(bundle, '.address.tmp');
  writeFileSync(tmp, address, { mode: 0o644 });
  renameSync(tmp, path.join(bundle, 'address'));
}

/**
 * `start`: runs with the bundle as cwd and prints the group's address (in the
 * form that picks the task API, see start-reply.ts). The
 * group is served by its live daemon if it has one; else a warm spare daemon
 * is claimed (it binds the socket and answers once serving); else `start` binds
 * the socket itself and hands the bound fd to a cold daemon, so the address can
 * be printed at once. No daemon gets containerd's pipes (containerd waits for EOF).
 */
export async function startAction(
  flags: ShimFlags,
  stdin: Uint8Array,
  /**
   * Where containerd ran `start` (the bundle) and with which environment: this process's own, unless a daemon
   * answers for a `start`; a daemon also defers the spare it keeps (spareDelayMs), so that its boot is off the pod's way.
   */
  context: { bundle: string; env: NodeJS.ProcessEnv; spareDelayMs?: number } = { bundle: process.cwd(), env: process.env },
): Promise<Uint8Array | string> {
  if (flags.namespace === '') throw new InvalidArgumentError('start: -namespace is required');
  if (flags.id === '') throw new InvalidArgumentError('start: -id is required');
  const bundle = context.bundle;
  const bootstrap = await parseBootstrapParams(stdin, flags.id, flags.namespace);
  const socketDir = bootstrap?.socketDir ?? DEFAULT_SOCKET_DIR;
  mkdirSync(socketDir, { recursive: true, mode: 0o700 });
  const spec = readStartSpec(bundle, flags.id);
  const env = { ...context.env };
  // A container that is handed on by a shared daemon gets a daemon of its own: the variable ends here.
  const own = env[Env.OWN_DAEMON] === '1';
  // What a daemon of ours set for itself is not containerd's environment (a shared daemon's delegate `start` inherits it).
  for (const key of [Env.OWN_DAEMON, Env.NAMESPACE_DAEMON, Env.SHARED_GROUP, Env.ORIGIN_CGROUPS, Env.SPARE_NETWORK, Env.SPARE_CONTAINERD]) delete env[key];
  const namespaceDaemon = !own && joinsNamespaceDaemon(spec);
  const group = namespaceDaemon ? NAMESPACE_GROUP : spec.group;
  // More containers will join: a group's later members, and a pod's app containers after its sandbox.
  const sharedGroup = namespaceDaemon || group !== flags.id || isPodSandbox(spec.annotations);
  const file = socketPath(flags.address, flags.namespace, group, socketDir);
  const address = socketUri(file);
  // Which task API containerd should speak may take a question to containerd: ask while the daemon boots.
  const taskApi: Promise<TaskApiVersion> = chooseTaskApi({
    bootstrap,
    env,
    address: flags.address,
    queryVersion: cachedVersionQuery(async () => (await import('./containerd-version.js')).queryContainerdVersion, {
      dir: socketDir,
    }),
  }).catch(() => 2);

  if (bootstrap?.ttrpcAddress !== undefined && env.TTRPC_ADDRESS === undefined) env.TTRPC_ADDRESS = bootstrap.ttrpcAddress;
  // A live daemon of the group, else a warm spare daemon, else a cold one.
  const reused = await isServing(file);
  // Spares wait in the host's network or in a fresh namespace each; a spec naming a namespace gets a daemon started inside it.
  // The namespace's shared daemon lives in the host's network (it admits a guest only where that changes nothing for it).
  const netns = namespaceDaemon ? ({ kind: 'host' } as const) : requireNetworkNamespace(spec.networkNamespace);
  // A pod's daemon lives in the pod's cgroup, which `start` makes: a claimed spare joins it, a cold daemon is born in it.
  const podCgroup = !reused && isPodSandbox(spec.annotations) && spec.cgroupsPath !== undefined ? spec.cgroupsPath : undefined;
  const cgroupProcs = podCgroup === undefined ? undefined : makeCgroups(cgroupTargets(podCgroup), podCgroup);
  // A warm spare serves a given namespace (a pod's) by entering it, where the addon for that was built,
  // and a pod's cgroup by joining it; so it boots nothing on the pod's way.
  const placed = netns.kind === 'path' || cgroupProcs !== undefined;
  const spareServes = netns.kind !== 'path' || canEnterNetworkNamespace();
  const spareNetwork: SpareNetwork = netns.kind === 'new' ? 'new' : 'host';
  const claimed =
    !reused &&
    spareServes &&
    (await claimSpare({
      namespace: flags.namespace,
      address: flags.address,
      ttrpcAddress: env.TTRPC_ADDRESS || `${flags.address}.ttrpc`,
      id: flags.id,
      socketPath: file,
      bundle,
      debug: flags.debug,
      sharedGroup,
      namespaceDaemon,
      env,
      ...(netns.kind === 'path' ? { networkNamespacePath: netns.path } : {}),
      ...(cgroupProcs !== undefined ? { cgroupProcs } : {}),
    }, spareNetwork));
  const server = reused || claimed ? undefined : await claimSocket(file);
  if (server !== undefined) {
    let launch = daemonLaunch(netns, process.execPath, serveArgs(flags, flags.id, file), daemonEnvOf(env, sharedGroup, namespaceDaemon));
    if (cgroupProcs !== undefined) {
      // Its spares would be born in the pod's cgroup too: it keeps none.
      const origin = readFileSync('/proc/self/cgroup', 'utf8');
      launch = { ...joiningLaunch(cgroupProcs, launch.command, launch.args), env: { ...launch.env, [Env.ORIGIN_CGROUPS]: origin, [Env.SPARE]: '0' } };
    }
    launchCold(launch, bundle, server);
  }
  // A pod's or a group's start still boots Node: the namespace's shared daemon, once up, answers the next ones.
  if (!namespaceDaemon && !own && sparesEnabled(env)) await ensureSharedDaemon(flags, env);
  // The next spare: for the spare just claimed (its boot, a few hundred ms of CPU, is deferred off this container's way
  // when a daemon answers this `start`), and for a daemon placed in a pod, which keeps none (it would be born in the pod).
  // A daemon booted cold otherwise starts it itself once serving.
  const spareUsed = claimed ? !namespaceDaemon : server !== undefined && placed && spareServes;
  if (spareUsed && sparesEnabled(env)) await keepSpare(spareNetwork, flags.address, context.spareDelayMs ?? 0);
  writeAddressFile(bundle, address);
  return encodeStartReply(address, await taskApi, bootstrap);
}
