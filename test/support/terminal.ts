/**
 * Runs a command on a real terminal, as a person at a keyboard would: `script`
 * (util-linux) gives it a pty; the test types into it and reads the screen.
 */
import { spawn } from 'node:child_process';

export interface TerminalSession {
  /** Types raw keys: '\r' is Enter, '\x03' is ^C, '\x04' is ^D, '\x7f' is Backspace. */
  type(keys: string): void;
  /** Resolves once the screen shows `text` (CR removed), with everything shown so far. */
  waitFor(text: string, timeoutMs?: number): Promise<string>;
  /** The command's exit status once it ends. */
  exited: Promise<number>;
  /** Everything shown so far, as the terminal received it (CRs kept). */
  readonly screen: string;
  kill(): void;
}

function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function runOnTerminal(command: string, args: readonly string[]): TerminalSession {
  const line = [command, ...args].map(shellQuote).join(' ');
  // -e: script exits with the command's status; -f: flush output at once; -q: no banner.
  const child = spawn('script', ['-qefc', line, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let screen = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (screen += chunk));
  child.stdin.on('error', () => {});
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  return {
    type: (keys) => child.stdin.write(keys),
    get screen() {
      return screen;
    },
    exited,
    kill: () => child.kill('SIGKILL'),
    waitFor: (text, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        const check = () => {
          const plain = screen.replace(/\r/g, '');
          if (plain.includes(text)) resolve(plain);
          else if (Date.now() > deadline) reject(new Error(`the terminal never showed ${JSON.stringify(text)}; it shows ${JSON.stringify(plain)}`));
          else setTimeout(check, 20);
        };
        check();
      }),
  };
}
