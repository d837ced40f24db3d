import { ExitStatus } from '../exit-status.js';

/**
 * Thrown by proc_exit (and by proc_raise for a fatal signal) to unwind the
 * guest's stack; start() turns it into the exit code.
 */
export class ProcExit extends Error {
  readonly code: number;

  constructor(code: number) {
    super(`proc_exit(${code})`);
    this.name = 'ProcExit';
    this.code = code;
  }
}

/** The status reported for a trap (see exit-status.ts). */
export const TRAP_EXIT_CODE = ExitStatus.TRAP;

/**
 * The text written to the guest's stderr for a trap: `wasm trap: <message>`
 * and then the wasm frames of V8's stack, which carry function names when the
 * module has a name section.
 */
export function describeTrap(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const lines = [`wasm trap: ${message}`];
  const stack = error instanceof Error ? error.stack : undefined;
  if (stack !== undefined) {
    for (const line of stack.split('\n').slice(1)) {
      const frame = line.trim();
      if (frame.includes('wasm://') || frame.includes('wasm-function')) lines.push(`    ${frame}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
