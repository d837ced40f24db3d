import { writeSync } from 'node:fs';
import { pino, type Logger } from 'pino';

/**
 * A pino destination on the bundle's `log` FIFO that never blocks the daemon:
 * containerd reads that FIFO, and while containerd is down (a restart) the FIFO
 * fills; then lines are dropped and counted rather than stalling every task.
 */
export class FifoLogDestination {
  dropped = 0;
  private fd: number;

  constructor(fd: number) {
    this.fd = fd;
  }

  /** Writes to another FIFO from now on (a shared daemon follows its tasks' bundles). */
  retarget(fd: number): void {
    this.fd = fd;
  }

  write(line: string): void {
    try {
      writeSync(this.fd, line);
    } catch {
      this.dropped++;
    }
  }
}

export function createLogger(destination: FifoLogDestination, options: { debug: boolean; namespace: string }): Logger {
  return pino({ level: options.debug ? 'debug' : 'info', base: { runtime: 'wasmts', namespace: options.namespace, pid: process.pid } }, destination);
}
