/**
 * Containers that this daemon hands to another shim, then passes every Task
 * call for them through, byte for byte; containerd keeps talking to this
 * daemon, and the other shim publishes the container's events to containerd
 * itself. Two kinds:
 * - the Linux containers of a wasm pod (a sidecar, an init container) go to
 *   containerd's own runc shim, as containerd would have run them; they join
 *   the pod's namespaces as CRI's spec says (the pod's network namespace,
 *   through the daemon's pid);
 * - a container that needs a network namespace of its own, met by a daemon
 *   shared by a namespace's containers in the host's network, goes to a wasmts
 *   daemon of its own (a spare waiting in a fresh namespace, or a cold one).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { FailedPreconditionError, UnavailableError } from '../../errors.js';
import { containerd } from '../../generated/index.js';
import type { Logger } from '../../task/collaborators.js';
import { TtrpcClient } from '../../ttrpc/index.js';
import { ENTRY_SCRIPT } from '../../layout.js';
import { RUNC_ADDRESS_FILE } from '../daemon/handoff.js';
import { findHostTool } from '../daemon/host-tools.js';
import { Env } from '../daemon/environment.js';

const RUNC_SHIM = 'containerd-shim-runc-v2';

const START_TIMEOUT_MS = 30_000;

export interface ShimDelegatesOptions {
  namespace: string;
  /** containerd's gRPC address. */
  address: string;
  /** containerd's ttrpc address: the runc shim publishes its events there. */
  ttrpcAddress: string;
  logger: Logger;
  /** The environment containerd gave the shim (its PATH finds containerd's runc shim first). */
  env?: NodeJS.ProcessEnv;
}

/** Which shim a container is handed to: containerd's runc shim, or a wasmts daemon of its own. */
export type DelegateKind = 'runc' | 'wasmts';

interface Shim {
  address: string;
  client: TtrpcClient;
  ids: Set<string>;
}

/** The `id` of a Task request: field 1 (a string) in every one of them. */
export function requestId(payload: Uint8Array): string {
  return containerd.task.v2.StartRequest.decode(payload).id;
}

/** The address a shim's `start` printed: a plain address (task API v2) or containerd 2.x's JSON. */
export function startAddress(output: string): string {
  const text = output.trim();
  if (text.startsWith('{')) {
    const address = (JSON.parse(text) as { address?: unknown }).address;
    if (typeof address === 'string' && address !== '') return address;
    throw new Error(`no address in ${text}`);
  }
  if (text === '') throw new Error('it printed no address');
  return text;
}

export class ShimDelegates {
  private readonly shims = new Map<string, Shim>();
  private readonly byId = new Map<string, Shim>();
  private readonly options: ShimDelegatesOptions;

  constructor(options: ShimDelegatesOptions) {
    this.options = options;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  get count(): number {
    return this.byId.size;
  }

  /**
   * Starts (or finds) the shim of that kind for the container's bundle, and
   * hands it the Create request: `runc` for a Linux program, `wasmts` for a
   * guest that needs a daemon (and a network) of its own.
   */
  async create(kind: DelegateKind, id: string, bundle: string, service: string, payload: Uint8Array): Promise<Uint8Array> {
    const address = await this.startShim(kind, id, bundle);
    // Where `delete` finds the runc shim if this daemon dies (containerd then asks us, not it, to clean up).
    // A wasmts daemon's `start` wrote the bundle's own `address` file.
    if (kind === 'runc') writeFileSync(path.join(bundle, RUNC_ADDRESS_FILE), address);
    let shim = this.shims.get(address);
    if (shim === undefined) {
      const client = await TtrpcClient.connect(address);
      shim = { address, client, ids: new Set() };
      this.shims.set(address, shim);
      const known = shim;
      void client.closed.then(() => this.forget(known));
    }
    shim.ids.add(id);
    this.byId.set(id, shim);
    try {
      const reply = await shim.client.call(service, 'Create', payload);
      this.options.logger.info(
        { task: id, shim: address },
        kind === 'runc' ? 'task created by the runc shim (a Linux container in the pod)' : 'task created by a daemon of its own (it needs its own network)',
      );
      return reply;
    } catch (error) {
      await this.release(id, service);
      throw error;
    }
  }

  /** Passes a call for a delegated container through; after its init's Delete, lets the runc shim go. */
  async forward(id: string, service: string, method: string, payload: Uint8Array): Promise<Uint8Array> {
    const shim = this.byId.get(id);
    if (shim === undefined) throw new FailedPreconditionError(`task ${id} is not run by the runc shim`);
    const reply = await shim.client.call(service, method, payload);
    if (method === 'Delete' && containerd.task.v2.DeleteRequest.decode(payload).execId === '') await this.release(id, service);
    return reply;
  }

  private async release(id: string, service: string): Promise<void> {
    const shim = this.byId.get(id);
    if (shim === undefined) return;
    this.byId.delete(id);
    shim.ids.delete(id);
    // As containerd does after a Delete: Shutdown, which the shim honours once it serves no task.
    await shim.client.call(service, 'Shutdown', containerd.task.v2.ShutdownRequest.encode({ id }).finish()).catch(() => {});
    if (shim.ids.size === 0) {
      this.shims.delete(shim.address);
      void shim.client.close();
    }
  }

  private forget(shim: Shim): void {
    if (this.shims.get(shim.address) === shim) this.shims.delete(shim.address);
  }

  /** Runs the shim's `start` in the bundle, as containerd would, and returns the address it prints. */
  private startShim(kind: DelegateKind, id: string, bundle: string): Promise<string> {
    const env: NodeJS.ProcessEnv = { ...(this.options.env ?? process.env), TTRPC_ADDRESS: this.options.ttrpcAddress };
    const flags = ['-namespace', this.options.namespace, '-address', this.options.address, '-publish-binary', findHostTool('containerd', env.PATH) ?? 'containerd', '-id', id, 'start'];
    let binary: string | undefined;
    let args: string[];
    if (kind === 'runc') {
      binary = findHostTool(RUNC_SHIM, env.PATH);
      args = flags;
      if (binary === undefined) {
        return Promise.reject(new FailedPreconditionError(`task ${id} runs a Linux program, for which wasmts needs containerd's ${RUNC_SHIM}; it is not on the PATH`));
      }
    } else {
      // Our own `start`, told not to hand the container back to a shared daemon.
      binary = process.execPath;
      args = [ENTRY_SCRIPT, ...flags];
      env[Env.OWN_DAEMON] = '1';
    }
    const program = binary;
    return new Promise((resolve, reject) => {
      const child = spawn(program, args, { cwd: bundle, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
      child.on('error', (error) => reject(new UnavailableError(`task ${id}: cannot run ${program}: ${error.message}`, { cause: error })));
      child.on('close', (code) => {
        clearTimeout(timer);
        if (code !== 0) return reject(new UnavailableError(`task ${id}: ${program} start failed (${code ?? 'killed'}): ${stderr.trim() || stdout.trim()}`));
        try {
          resolve(startAddress(stdout));
        } catch (error) {
          reject(new UnavailableError(`task ${id}: ${program} start: ${(error as Error).message}`));
        }
      });
    });
  }
}

