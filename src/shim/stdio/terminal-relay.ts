import { closeSync, constants, openSync } from 'node:fs';
import net from 'node:net';
import { InternalError } from '../../errors.js';
import type { OpenedStdio, TerminalControl } from '../../task/collaborators.js';
import type { StdioPaths } from '../../task/events.js';
import { createFifoPair, type FifoPair } from './fifo-pair.js';
import { LineDiscipline, translateOutput } from './line-discipline.js';
import { waitUntilPipesDrained } from '../../wasi/pipe-drain.js';
import { settledBy } from '../../deadline.js';

const { O_RDONLY, O_WRONLY, O_NONBLOCK } = constants;
/** How long the guest's last output may take to reach the client after it ended. */
const DRAIN_TIMEOUT_MS = 10_000;

function openFd(file: string, flags: number, what: string): number {
  try {
    return openSync(file, flags);
  } catch (cause) {
    throw new InternalError(`open terminal ${what} ${file}`, { cause });
  }
}

function closeQuietly(fd: number | undefined): void {
  if (fd === undefined) return;
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

/**
 * A terminal for a guest started with terminal=true (ctr run -t, ctr task exec
 * -t), emulated in the daemon because no pty is at hand: the guest reads and
 * writes pipes (which its WASI host reports as a character device), and the
 * daemon sits between them and the client's FIFOs running the line discipline
 * on input and ONLCR on output. stderr goes where stdout goes, as on a pty.
 */
export async function openTerminal(paths: StdioPaths): Promise<OpenedStdio> {
  const fds: (number | undefined)[] = [];
  const pairs: FifoPair[] = [];
  try {
    // The guest's side: it reads cooked input from `input` and writes output (stdout and stderr) into `output`.
    const input = await createFifoPair();
    pairs.push(input);
    const output = await createFifoPair();
    pairs.push(output);
    const guestStderr = openFd(`/proc/self/fd/${output.writeFd}`, O_WRONLY, 'stderr');
    fds.push(guestStderr);
    // The client's side: its keys arrive on the stdin FIFO, the screen is the stdout FIFO.
    const clientIn = paths.stdin !== '' ? openFd(paths.stdin, O_RDONLY | O_NONBLOCK, 'stdin') : undefined;
    fds.push(clientIn);
    const keptReader = paths.stdout !== '' ? openFd(paths.stdout, O_RDONLY | O_NONBLOCK, 'stdout') : undefined;
    fds.push(keptReader);
    const clientOut = paths.stdout !== '' ? openFd(paths.stdout, O_WRONLY | O_NONBLOCK, 'stdout') : undefined;
    fds.push(clientOut);

    const relay = new TerminalRelay(
      clientIn === undefined ? undefined : new net.Socket({ fd: clientIn, readable: true, writable: false }),
      clientOut === undefined ? undefined : { socket: new net.Socket({ fd: clientOut, readable: false, writable: true }), fd: clientOut },
      new net.Socket({ fd: input.writeFd, readable: false, writable: true }),
      new net.Socket({ fd: output.readFd, readable: true, writable: false }),
    );
    return {
      stdin: input.readFd,
      stdout: output.writeFd,
      stderr: guestStderr,
      terminal: relay,
      drainOutput: () => relay.drainOutput(Date.now() + DRAIN_TIMEOUT_MS),
      close: async () => {
        await relay.close();
        closeQuietly(keptReader);
      },
    };
  } catch (error) {
    for (const fd of fds) closeQuietly(fd);
    for (const pair of pairs) {
      closeQuietly(pair.readFd);
      closeQuietly(pair.writeFd);
    }
    throw error;
  }
}

class TerminalRelay implements TerminalControl {
  private readonly discipline = new LineDiscipline();
  private signalHandler: ((signal: number) => void) | undefined;
  private readonly outputEnded: Promise<void>;
  size = { width: 0, height: 0 };

  private readonly clientOut: net.Socket | undefined;
  private readonly clientOutFd: number | undefined;

  constructor(
    private readonly clientIn: net.Socket | undefined,
    clientOut: { socket: net.Socket; fd: number } | undefined,
    private readonly guestIn: net.Socket,
    private readonly guestOut: net.Socket,
  ) {
    this.clientOut = clientOut?.socket;
    this.clientOutFd = clientOut?.fd;
    for (const socket of [clientIn, this.clientOut, guestIn, guestOut]) socket?.on('error', () => {});
    clientIn?.on('data', (keys: Buffer) => this.onKeys(keys));
    // The client went away (or closed its stdin): like a hangup, the guest reads end of file.
    clientIn?.on('end', () => this.guestIn.end());
    guestOut.on('data', (chunk: Buffer) => this.clientOut?.write(translateOutput(chunk)));
    this.outputEnded = new Promise((resolve) => {
      guestOut.once('end', resolve);
      guestOut.once('close', resolve);
    });
  }

  onSignal(handler: (signal: number) => void): void {
    this.signalHandler = handler;
  }

  resize(width: number, height: number): void {
    // Preview 1 has no ioctl to report a window size; it is kept for State and logs.
    this.size = { width, height };
  }

  /**
   * Waits until the guest's output has ended and every byte of it is in the
   * client's FIFO and read from there (or until `deadline`): a client on
   * containerd 1.6 stops reading when Wait returns.
   */
  async drainOutput(deadline: number): Promise<void> {
    await settledBy(this.outputEnded, deadline);
    const out = this.clientOut;
    if (out === undefined || out.destroyed || this.clientOutFd === undefined) return;
    // Queued after everything relayed so far: called back once all of it is in the FIFO.
    await settledBy(new Promise<void>((resolve) => out.write(Buffer.alloc(0), () => resolve())), deadline);
    await waitUntilPipesDrained([this.clientOutFd], deadline);
  }

  /** Waits for the guest's last output to reach the client, then lets the client see end of file. */
  async close(): Promise<void> {
    this.clientIn?.destroy();
    this.guestIn.destroy();
    await settledBy(this.outputEnded, Date.now() + DRAIN_TIMEOUT_MS);
    this.guestOut.destroy();
    const out = this.clientOut;
    if (out !== undefined && !out.destroyed) {
      await new Promise<void>((resolve) => out.end(resolve));
      out.destroy();
    }
  }

  private onKeys(keys: Buffer): void {
    const result = this.discipline.feed(keys);
    if (result.echo.length > 0) this.clientOut?.write(result.echo);
    for (const line of result.toGuest) this.guestIn.write(line);
    if (result.signal !== undefined) this.signalHandler?.(result.signal);
    if (result.endOfFile) this.guestIn.end();
  }
}
