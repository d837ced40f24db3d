/**
 * Entering a network namespace from a running daemon, through the addon
 * src/native/network-namespace.c builds (Node.js has no setns). Only the
 * calling thread moves: a daemon enters on its main thread before it opens any
 * socket for a guest or starts a guest's worker, so both happen inside.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { getSystemErrorName } from 'node:util';
import { FailedPreconditionError } from '../../errors.js';
import { NETNS_ADDON } from '../../layout.js';

interface NetnsAddon {
  /** 0, or -errno when the file cannot be opened, errno when setns refuses it. */
  enterNetworkNamespace(path: string): number;
}

/** The addon was built for this installation (a compiler was there): a warm daemon can serve a given namespace. */
export function canEnterNetworkNamespace(addon: string = NETNS_ADDON): boolean {
  return existsSync(addon);
}

/** Moves the calling thread into the network namespace `path` names; throws, saying why, when it cannot. */
export function enterNetworkNamespace(path: string, addon: string = NETNS_ADDON): void {
  const { enterNetworkNamespace: enter } = createRequire(import.meta.url)(addon) as NetnsAddon;
  const outcome = enter(path);
  if (outcome === 0) return;
  const step = outcome < 0 ? 'open' : 'setns';
  throw new FailedPreconditionError(`cannot enter network namespace ${path}: ${step} failed with ${getSystemErrorName(-Math.abs(outcome))}`);
}
