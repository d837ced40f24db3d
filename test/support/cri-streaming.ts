/**
 * The client half of CRI's streaming calls (Exec, Attach, PortForward), as
 * kubectl speaks it through the API server: CRI answers with a URL on
 * containerd's streaming server, which takes a WebSocket whose binary messages
 * start with a channel byte (v4.channel.k8s.io: 0 stdin, 1 stdout, 2 stderr,
 * 3 the final status, 4 terminal resize; portforward.k8s.io: per port a data
 * and an error channel, each opening with the port as a little-endian uint16).
 */

export interface StreamSession {
  /** Sends bytes on a channel (0 is stdin, or a forwarded port's data). */
  send(channel: number, data: string | Uint8Array): void;
  /** What arrived on a channel so far. */
  received(channel: number): Buffer;
  /** Waits until what arrived on `channel` satisfies `done` (default 10 s). */
  until(channel: number, done: (text: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Resolves when the server closes the stream. */
  closed: Promise<void>;
  close(): void;
}

export async function openStream(url: string, protocols: string[]): Promise<StreamSession> {
  const ws = new WebSocket(url.replace(/^http/, 'ws'), protocols);
  ws.binaryType = 'arraybuffer';
  const channels = new Map<number, Buffer[]>();
  const waiters = new Set<() => void>();
  ws.onmessage = (message) => {
    const bytes = Buffer.from(message.data as ArrayBuffer);
    if (bytes.length === 0) return;
    const list = channels.get(bytes[0]!) ?? [];
    list.push(bytes.subarray(1));
    channels.set(bytes[0]!, list);
    for (const wake of waiters) wake();
  };
  const closed = new Promise<void>((resolve) => {
    ws.onclose = () => {
      resolve();
      for (const wake of waiters) wake();
    };
  });
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error(`cannot open a stream to ${url}`));
  });
  const received = (channel: number) => Buffer.concat(channels.get(channel) ?? []);
  return {
    send: (channel, data) => ws.send(Buffer.concat([Buffer.from([channel]), Buffer.from(data)])),
    received,
    until: (channel, done, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const text = received(channel).toString('utf8');
          if (done(text)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(text);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`channel ${channel} has ${JSON.stringify(received(channel).toString('utf8'))}, not what was awaited`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    closed,
    close: () => ws.close(),
  };
}
