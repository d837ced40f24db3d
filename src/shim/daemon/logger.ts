import { writeSync } from 'node:fs';
import { pino, type Logger } from 'pino';

/**
 * A pino destination on the bundle's `log` FIFO that never blocks the daemon:
 * containerd reads that FIFO, and while containerd is down (a restart) the FIFO
 * fills; then lines are dropped and counted rather than stalling every task.
 */
export class FifoLogDestination {
  dropped = 0;

  constructor(private readonly fd: number) {}

  write(line: string): void {
    try {
      writeSync(this.fd, line);
    } catch {
      this.dropped++;
    }
  }
}

export function createLogger(fd: number, options: { debug: boolean; namespace: string }): Logger {
  return pino(
    { level: options.debug ? 'debug' : 'info', base: { runtime: 'wasmts', namespace: options.namespace, pid: process.pid } },
    new FifoLogDestination(fd),
  );
}
