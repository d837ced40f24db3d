import { createHash } from 'node:crypto';
import path from 'node:path';

export const RUNTIME_NAME = 'io.containerd.wasmts.v1';

/** Where shims put their sockets unless containerd (2.3+) says otherwise (shim-protocol §2.5). */
export const DEFAULT_SOCKET_DIR = '/run/containerd/s';

/**
 * The socket path for a group: a hash of containerd's address, the namespace,
 * the group and our runtime name, so that two containerds, two namespaces or
 * another runtime's shim for the same id never collide.
 */
export function socketPath(containerdAddress: string, namespace: string, group: string, socketDir = DEFAULT_SOCKET_DIR): string {
  const key = `${path.posix.join(containerdAddress, namespace, group)}\u0000${RUNTIME_NAME}`;
  return path.join(socketDir, createHash('sha256').update(key).digest('hex'));
}

export function socketUri(socketFile: string): string {
  return `unix://${socketFile}`;
}

/** Accepts `unix:///path` or a bare path. */
export function socketFileOf(address: string): string {
  return address.startsWith('unix://') ? address.slice('unix://'.length) : address;
}
