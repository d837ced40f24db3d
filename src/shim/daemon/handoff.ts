/**
 * How `start` hands a group over to a daemon. Kept free of heavy imports:
 * `start` loads this for every container.
 */
import { createHash } from 'node:crypto';
import { constants, openSync, statSync } from 'node:fs';
import path from 'node:path';
import { ENTRY_SCRIPT } from '../../layout.js';
import { DEFAULT_SOCKET_DIR } from '../cli/socket-address.js';
import { Env } from './environment.js';

/** File descriptor number a cold-started daemon finds its listening socket on. */
export const LISTEN_FD = 3;


/** The one description of a group's daemon: what it serves, for which containerd. */
export interface GroupSpec {
  namespace: string;
  /** containerd's gRPC address (-address). */
  address: string;
  /** containerd's ttrpc address, where events go. */
  ttrpcAddress: string;
  /** The container whose start created this daemon. */
  id: string;
  socketPath: string;
  debug: boolean;
  /** More containers will join the group (a pod, or a shared group annotation): keep a guest worker booted for them. */
  sharedGroup: boolean;
  /**
   * The daemon shared by the namespace's containers that can run in the host's
   * network: it stays between tasks, and hands a container that needs a network
   * of its own to a daemon of its own.
   */
  namespaceDaemon: boolean;
}

/** What `start` tells a spare daemon when it claims it for a group. */
export interface ClaimRequest extends GroupSpec {
  bundle: string;
  /** containerd's environment as `start` received it. */
  env: Record<string, string | undefined>;
  /** The network namespace the spec names (a pod's): the spare enters it before it serves (namespace-entry.ts). */
  networkNamespacePath?: string;
  /** The `cgroup.procs` files of a pod's cgroup (`start` made it): the spare joins it before it serves. */
  cgroupProcs?: string[];
}

/** In the bundle of a pod's Linux container: the address of the runc shim that runs it (also read by bin/'s `sh` wrapper). */
export const RUNC_ADDRESS_FILE = 'wasmts-runc-address';

/** The bundle's `log` FIFO (containerd reads it), opened without blocking; /dev/null when there is none. */
export function openBundleLog(bundle: string): number {
  try {
    return openSync(path.join(bundle, 'log'), constants.O_WRONLY | constants.O_NONBLOCK);
  } catch {
    return openSync('/dev/null', constants.O_WRONLY);
  }
}

/** The network a spare daemon waits in: the host's, or a fresh namespace of its own (plain `ctr run`). */
export type SpareNetwork = 'host' | 'new';

export type ClaimReply = { ok: true; pid: number } | { ok: false; reason: string };

/**
 * The control socket of the spare daemon for this very build of the shim and
 * this containerd: the key covers the Node binary and the entry script's path
 * and mtime, so a rebuilt or upgraded shim never claims a spare still running
 * older code; containerd's address, so a spare serves only the containerd that
 * started it (each has its own cgroup, environment and lifetime); and the
 * network, so a spare in one never serves a container that asked for another.
 */
export function spareSocketPath(network: SpareNetwork, containerdAddress: string): string {
  let mtime = 0;
  try {
    mtime = statSync(ENTRY_SCRIPT).mtimeMs;
  } catch {
    // keyed by path alone
  }
  const key = `${process.execPath}\u0000${ENTRY_SCRIPT}\u0000${mtime}\u0000${network}\u0000${containerdAddress}`;
  return path.join(DEFAULT_SOCKET_DIR, `wasmts-spare-${createHash('sha256').update(key).digest('hex').slice(0, 32)}`);
}

/** Set in a cold daemon's environment when more containers will join its group. */
export const SHARED_GROUP_ENV = Env.SHARED_GROUP;

/** Spares are on unless containerd's environment says WASMTS_SPARE=0. */
export function sparesEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[Env.SPARE] !== '0';
}
