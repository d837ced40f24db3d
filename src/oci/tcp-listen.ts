import net from 'node:net';
import { InvalidArgumentError } from '../errors.js';

/**
 * Listening sockets the runtime opens for a guest, like `wasmtime run
 * --tcplisten`: `io.containerd.wasmts.v1.tcplisten=127.0.0.1:8080` (several
 * separated by commas; IPv6 as `[::1]:8080`). The guest finds them as fds
 * after its preopened directories (fd 4 with the rootfs at fd 3) and serves
 * them with preview 1's sock_accept/sock_recv/sock_send.
 */
export const TCP_LISTEN_ANNOTATION = 'io.containerd.wasmts.v1.tcplisten';

export interface ListenAddress {
  host: string;
  port: number;
}

/** The addresses the annotation asks for; none without it. */
export function tcpListenAddresses(annotations: Record<string, string>): ListenAddress[] {
  const value = annotations[TCP_LISTEN_ANNOTATION];
  if (value === undefined || value.trim() === '') return [];
  return value.split(',').map((item) => parseListenAddress(item.trim()));
}

function parseListenAddress(text: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (host === undefined || net.isIP(host) === 0 || !(port >= 0 && port <= 0xffff)) {
    throw new InvalidArgumentError(
      `annotation ${TCP_LISTEN_ANNOTATION}: "${text}" is not an IP address and port (e.g. 127.0.0.1:8080 or [::1]:8080)`,
    );
  }
  return { host, port };
}
