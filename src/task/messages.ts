/**
 * Plain shapes of the Task API requests and responses as the task service
 * sees them (containerd api/runtime/task/v2/shim.proto). The ttrpc adapter
 * converts between these and the wire messages; the service never sees bytes.
 */
import type { MountSpec } from './events.js';

export interface CreateTaskRequest {
  id: string;
  bundle: string;
  rootfs: MountSpec[];
  terminal: boolean;
  stdin: string;
  stdout: string;
  stderr: string;
  checkpoint: string;
  parentCheckpoint: string;
}

export interface ProcessRef {
  id: string;
  execId: string;
}

export interface KillRequest extends ProcessRef {
  signal: number;
  all: boolean;
}

export interface ExecProcessRequest extends ProcessRef {
  terminal: boolean;
  stdin: string;
  stdout: string;
  stderr: string;
  /** The OCI Process spec, JSON (types.containerd.io/opencontainers/runtime-spec/1/Process). */
  specJson: string | undefined;
}

export interface CloseIORequest extends ProcessRef {
  stdin: boolean;
}

export interface ResizePtyRequest extends ProcessRef {
  width: number;
  height: number;
}

export interface StateResponse {
  id: string;
  bundle: string;
  pid: number;
  status: number;
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
  exitStatus: number;
  exitedAt: Date | undefined;
  execId: string;
}

export interface ExitInfo {
  pid: number;
  exitStatus: number;
  exitedAt: Date | undefined;
}

export interface ConnectResponse {
  shimPid: number;
  taskPid: number;
  version: string;
}

export interface ProcessInfo {
  pid: number;
  /** Exec id for exec processes; empty for the init. */
  execId: string;
}
