import type { Engine } from '../instance/instance.js';
import type { EventSink, StdioPaths } from './events.js';

import type { ContainerPreparer } from '../oci/container.js';
export type { ContainerPreparer, GuestMount, PreparedContainer, ProcessSpec } from '../oci/container.js';

/** The terminal of a process started with terminal=true (emulated by the stdio opener). */
export interface TerminalControl {
  /** Receives the signals typed at the terminal (^C → SIGINT, ^\\ → SIGQUIT). */
  onSignal(handler: (signal: number) => void): void;
  resize(width: number, height: number): void;
}

export interface OpenedStdio {
  stdin?: number;
  stdout?: number;
  stderr?: number;
  /** Present when the process has a terminal: the guest's stdio lead to it. */
  terminal?: TerminalControl;
  /**
   * Waits (bounded) until the client has taken every byte the guest wrote, as
   * far as the opener is concerned: what it relays (a terminal), or what sits in
   * the output pipes when the instance could not see to it (`instanceDrained`
   * false: the guest was killed). Called before each exit is reported; resolves
   * at once when there is nothing to wait for.
   */
  drainOutput?(instanceDrained: boolean): Promise<void>;
  /** Closes what the opener kept for itself (keep-alive fds); call after the instance ended. Idempotent. */
  close(): Promise<void>;
}

/** Whose stdio is being opened (a logging binary is told the container id). */
export interface StdioOwner {
  containerId: string;
  execId: string;
}

export interface StdioOpener {
  open(paths: StdioPaths, owner: StdioOwner): Promise<OpenedStdio>;
}

export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  /** A logger whose every line carries these fields (pino's child loggers): a process's task and exec ids. */
  child(bindings: Record<string, unknown>): Logger;
}

/** Places the daemon, which runs all of a pod's containers, in the pod's cgroup. */
export interface CgroupJoiner {
  /** Joins `cgroupsPath` (the pod sandbox's linux.cgroupsPath) in every hierarchy; rejects, having joined none, when it cannot. */
  enter(cgroupsPath: string): Promise<void>;
  /** Goes back to where the daemon was and removes what enter made. */
  leave(): Promise<void>;
}

export interface TaskServiceDeps {
  engine: Engine;
  events: EventSink;
  preparer: ContainerPreparer;
  stdio: StdioOpener;
  logger: Logger;
  shimPid: number;
  /** Absent: the daemon stays in its own cgroup (tests, and hosts without cgroups). */
  cgroups?: CgroupJoiner;
  clock?: () => Date;
  /**
   * The daemon runs guests of several containers in the host's network (a
   * namespace's shared daemon): a container that needs a network of its own is
   * refused with OwnNetworkRequiredError, for the shim to hand elsewhere.
   */
  sharedNetwork?: boolean;
}
