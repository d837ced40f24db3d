/**
 * The part of a Linux tty that a pty would give a guest under `ctr run -t`,
 * for a terminal in its default (cooked) mode: ICRNL, ECHO, ECHOE, ECHOCTL,
 * ICANON line editing, ISIG for ^C and ^\, VEOF (^D); ONLCR on output.
 * ctr puts the user's own terminal in raw mode and leaves all this to the pty,
 * so without it keys would neither echo nor edit, and ^C would not interrupt.
 */

const CR = 0x0d;
const LF = 0x0a;
const TAB = 0x09;
const BS = 0x08;
const DEL = 0x7f;
const CTRL_C = 0x03; // VINTR
const CTRL_BACKSLASH = 0x1c; // VQUIT
const CTRL_D = 0x04; // VEOF
const CTRL_U = 0x15; // VKILL
const CTRL_W = 0x17; // VWERASE

export const SIGINT = 2;
export const SIGQUIT = 3;

export interface DisciplineResult {
  /** Complete lines (or a ^D-flushed partial line) for the guest's stdin. */
  toGuest: Buffer[];
  /** What the terminal shows for the keys typed. */
  echo: Buffer;
  /** A signal for the foreground process (^C, ^\). */
  signal?: number;
  /** ^D on an empty line: the guest's next read sees end of file. */
  endOfFile?: boolean;
}

const ERASE = Buffer.from('\b \b');

export class LineDiscipline {
  private line: number[] = [];

  feed(input: Uint8Array): DisciplineResult {
    const toGuest: Buffer[] = [];
    const echo: number[] = [];
    for (const raw of input) {
      const byte = raw === CR ? LF : raw;
      switch (byte) {
        case LF:
          this.line.push(LF);
          toGuest.push(Buffer.from(this.line));
          this.line = [];
          echo.push(CR, LF);
          break;
        case DEL:
        case BS:
          if (this.eraseChar()) echo.push(...ERASE);
          break;
        case CTRL_U:
          while (this.eraseChar()) echo.push(...ERASE);
          break;
        case CTRL_W:
          while (this.line.length > 0 && this.line.at(-1) === 0x20) this.eraseChar() && echo.push(...ERASE);
          while (this.line.length > 0 && this.line.at(-1) !== 0x20) this.eraseChar() && echo.push(...ERASE);
          break;
        case CTRL_C:
        case CTRL_BACKSLASH:
          // ISIG: the line typed so far is discarded and the foreground process signalled.
          this.line = [];
          echo.push(0x5e, byte + 0x40, CR, LF);
          return { toGuest, echo: Buffer.from(echo), signal: byte === CTRL_C ? SIGINT : SIGQUIT };
        case CTRL_D:
          if (this.line.length === 0) return { toGuest, echo: Buffer.from(echo), endOfFile: true };
          // ^D mid-line hands over what was typed, without a newline.
          toGuest.push(Buffer.from(this.line));
          this.line = [];
          break;
        default:
          this.line.push(byte);
          if (byte < 0x20 && byte !== TAB) echo.push(0x5e, byte + 0x40); // ECHOCTL: ^X
          else echo.push(byte);
      }
    }
    return { toGuest, echo: Buffer.from(echo) };
  }

  /** Removes the last character (a whole UTF-8 sequence); false when the line is empty. */
  private eraseChar(): boolean {
    if (this.line.length === 0) return false;
    let last = this.line.pop()!;
    while ((last & 0xc0) === 0x80 && this.line.length > 0) last = this.line.pop()!;
    return true;
  }
}

/** ONLCR: the terminal moves to the start of the next line on each newline the guest writes. */
export function translateOutput(chunk: Uint8Array): Buffer {
  let newlines = 0;
  for (const byte of chunk) if (byte === LF) newlines++;
  if (newlines === 0) return Buffer.from(chunk);
  const out = Buffer.allocUnsafe(chunk.length + newlines);
  let at = 0;
  for (const byte of chunk) {
    if (byte === LF) out[at++] = CR;
    out[at++] = byte;
  }
  return out;
}
