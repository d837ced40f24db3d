import net from 'node:net';
import { type ClaimReply, type ClaimRequest, type SpareNetwork, spareSocketPath, sparesEnabled } from './handoff.js';

const CLAIM_TIMEOUT_MS = 2_000;

/**
 * Asks the warm spare daemon, if one is waiting, to take over a group: it binds
 * the group's socket itself and answers once it serves it. Resolves false when
 * there is no spare or it did not answer, and `start` then boots a daemon cold.
 */
export function claimSpare(request: ClaimRequest, network: SpareNetwork = 'host'): Promise<boolean> {
  if (!sparesEnabled(request.env)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const socket = net.connect(spareSocketPath(network, request.address));
    let reply = '';
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), CLAIM_TIMEOUT_MS);
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('utf8');
      const newline = reply.indexOf('\n');
      if (newline === -1) return;
      try {
        finish((JSON.parse(reply.slice(0, newline)) as ClaimReply).ok);
      } catch {
        finish(false);
      }
    });
    socket.once('end', () => finish(false));
  });
}
