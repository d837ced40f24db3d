/**
 * The engine boundary: what the task service needs from whatever runs a
 * module. One Instance is one running guest (a task's init or an exec).
 */
import type { GuestMount } from '../wasi/index.js';
import type { ModuleSource } from '../oci/container.js';

export interface ExitResult {
  exitStatus: number;
  exitedAt: Date;
  /** The guest ended because it ran out of memory at its limit (status 137). */
  outOfMemory?: boolean;
  /** memory.grow calls refused at the limit during its life. */
  growRefused?: number;
  /**
   * The instance itself saw the guest's output reach its readers before
   * reporting (a guest that ended on its own); false or absent when it was
   * ended from outside (killed), and the embedder should drain what the guest
   * had already written.
   */
  outputDrained?: boolean;
}

export interface StdioFds {
  /** Host fds handed over to the instance, which owns (and closes) them from then on. */
  stdin?: number;
  stdout?: number;
  stderr?: number;
}

export interface InstanceConfig {
  /** The process id as containerd names it: the container id, or the exec id. */
  id: string;
  /** The module: a host file (already resolved inside the rootfs) or bytes from the image. */
  module: ModuleSource;
  /** How messages name the module (its guest path, or image@digest). */
  moduleName: string;
  args: string[];
  env: string[];
  cwd: string;
  /** Host directory the guest sees as `/`. */
  rootfsPath: string;
  /** The guest may not change `/` (its mounts keep their own setting). */
  rootReadOnly?: boolean;
  /** Host files and directories laid over `/` (the spec's bind and tmpfs mounts). */
  mounts?: GuestMount[];
  stdio: StdioFds;
  /** The stdio lead to a terminal: the guest must see character devices (isatty). */
  terminal?: boolean;
  /** Cap on the guest's linear memory, in bytes. */
  memoryLimitBytes?: number;
  /** TCP addresses to listen on for the guest, handed over as fds after the preopens (the --tcplisten style). */
  tcpListen?: { host: string; port: number }[];
}

/** What a guest uses now: memory (its linear memory and the engine's heap for it) and CPU time. */
export interface InstanceStats {
  linearMemoryBytes: number;
  engineHeapBytes: number;
  cpuUserNs: number;
  cpuSystemNs: number;
  cpuTotalNs: number;
  /** memory.grow calls refused at the memory limit so far. */
  growRefused: number;
}

/** Which module an instance runs, and whether this daemon had it compiled already. */
export interface ModuleInfo {
  /** sha256 of the module's bytes. */
  digest: string;
  /** Reused from the daemon's compile cache: no compile happened for this instance. */
  cached: boolean;
}

export interface Instance {
  /** An id a person can find on the host: the thread running the guest. */
  readonly pid: number;
  /** The module it runs (absent for a pod's sandbox, which runs none). */
  readonly module?: ModuleInfo;
  /** Begins running the guest; resolves once it runs. */
  start(): Promise<void>;
  /** Gives the guest end of file on stdin once it has read what was already sent (CloseIO). */
  closeStdin(): Promise<void>;
  /** Delivers a signal: terminating ones end the guest with 128+signal. */
  kill(signal: number): Promise<void>;
  /** Resolves once the guest has ended, whether it ran or not. */
  wait(): Promise<ExitResult>;
  /** Stops the guest where it is, even mid-computation, using no CPU until resume(). */
  pause(): Promise<void>;
  /** Continues a paused guest where it stopped. */
  resume(): Promise<void>;
  stats(): Promise<InstanceStats>;
  /**
   * Raises or lowers the cap on the guest's linear memory at once (undefined:
   * no cap). A lower cap than the memory in use stops further growth.
   */
  setMemoryLimit(limitBytes: number | undefined): Promise<void>;
  /** Releases the instance; it must have ended (or never started). */
  delete(): Promise<void>;
}

export interface Engine {
  /** Loads and validates the module and prepares an instance without running it. */
  create(config: InstanceConfig): Promise<Instance>;
}
