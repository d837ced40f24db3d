import net from 'node:net';
import { listenTcp, type TcpListener } from '../wasi/index.js';

/**
 * Opens the listening sockets a guest is given (annotation
 * io.containerd.wasmts.v1.tcplisten) inside its worker, so they are the
 * worker's own handles: closed with it, and the port free again once the
 * task ends. A failure names the address (`127.0.0.1:8080: address already
 * in use`) and closes what was opened.
 */
export async function openListeners(addresses: readonly { host: string; port: number }[]): Promise<TcpListener[]> {
  const opened: TcpListener[] = [];
  try {
    for (const { host, port } of addresses) {
      const family = net.isIPv6(host) ? 'inet6' : 'inet4';
      try {
        opened.push(await listenTcp({ family, address: host, port }));
      } catch (cause) {
        const reason = cause instanceof Error ? cause.message : String(cause);
        throw new Error(`cannot listen on ${family === 'inet6' ? `[${host}]` : host}:${port} (io.containerd.wasmts.v1.tcplisten): ${reason}`, { cause });
      }
    }
    return opened;
  } catch (error) {
    for (const listener of opened) listener.close();
    throw error;
  }
}
