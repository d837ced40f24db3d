/**
 * Loopback helpers for the networking tests: free ports, a plain HTTP GET
 * over a fresh connection, and waiting for a server to answer.
 */

import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A TCP port nothing listens on right now (the kernel's pick, released at once). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Whether a listener could bind `port` on `host` now. */
export async function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  const server = net.createServer();
  const bound = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, host, () => resolve(true));
  });
  if (bound) await new Promise((resolve) => server.close(resolve));
  return bound;
}

export interface HttpReply {
  status: number;
  body: string;
}

/** GET / on a new connection (no keep-alive agent), failing after `timeoutMs`. */
export function httpGet(port: number, host = '127.0.0.1', timeoutMs = 5_000): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host, port, path: '/', agent: false, timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`GET http://${host}:${port}/ timed out after ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}

/** Retries GET / until it answers, e.g. while a container starts. */
export async function waitForHttp(port: number, host = '127.0.0.1', timeoutMs = 10_000): Promise<HttpReply> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await httpGet(port, host, 1_000);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(50);
    }
  }
}
