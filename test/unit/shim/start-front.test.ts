import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StartFront, type StartRunner } from '../../../src/shim/daemon/start-front.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {}, child() { return quiet; } };
const dirs: string[] = [];
const fronts: StartFront[] = [];

afterEach(() => {
  for (const front of fronts.splice(0)) front.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** What the sh wrapper does: a reply FIFO, one tab-separated line on the front, then the answer line. */
async function ask(front: string, argv: string[], home: string, stdin?: string): Promise<{ answer: string; out: string; reply: string }> {
  const reply = path.join(path.dirname(front), `wasmts-start-${Math.random().toString(36).slice(2)}`);
  execFileSync('mkfifo', ['-m', '600', reply]);
  let stdinFile = '';
  if (stdin !== undefined) {
    stdinFile = `${reply}.stdin`;
    writeFileSync(stdinFile, stdin);
  }
  const done = openSync(reply, constants.O_RDWR | constants.O_NONBLOCK);
  const request = openSync(front, constants.O_WRONLY | constants.O_NONBLOCK);
  writeSync(request, `${[reply, '/some/bundle', home, stdinFile, ...argv].join('\t')}\n`);
  closeSync(request);
  const buffer = Buffer.alloc(256);
  for (let i = 0; i < 200; i++) {
    try {
      const n = readSync(done, buffer, 0, buffer.length, null);
      if (n > 0) {
        closeSync(done);
        const out = existsSync(`${reply}.out`) ? readFileSync(`${reply}.out`, 'utf8') : '';
        return { answer: buffer.subarray(0, n).toString().replace(/\n$/, ''), out, reply };
      }
    } catch {
      // EAGAIN: not yet
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  closeSync(done);
  return { answer: 'none', out: '', reply };
}

function openFront(run: StartRunner): { file: string; home: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'wasmts-front-test-'));
  dirs.push(dir);
  const file = path.join(dir, 'wasmts-front-x');
  const entry = path.join(dir, 'main.js');
  writeFileSync(entry, '');
  fronts.push(StartFront.open(file, run, quiet, entry));
  // An installation whose dist/main.js is the daemon's own entry script (through a link, as installs do).
  const home = path.join(dir, 'home');
  mkdirSync(path.join(home, 'dist'), { recursive: true });
  execFileSync('ln', ['-s', entry, path.join(home, 'dist', 'main.js')]);
  return { file, home };
}

describe('the start front of a shared daemon', () => {
  it("runs the wrapper's start with its argv, bundle and stdin, and answers 0 with the output", async () => {
    const seen: unknown[] = [];
    const { file, home } = openFront(async (argv, bundle, stdin) => {
      seen.push({ argv, bundle, stdin: stdin.length });
      return { output: 'unix:///run/x', failed: false };
    });
    expect(readFileSync(`${file}.pid`, 'utf8').trim()).toBe(String(process.pid));
    const reply = await ask(file, ['-namespace', 'ns', '-id', 'c1', 'start'], home);
    expect(reply.answer).toBe('0 T unix:///run/x');
    expect(seen).toEqual([{ argv: ['-namespace', 'ns', '-id', 'c1', 'start'], bundle: '/some/bundle', stdin: 0 }]);
    // The reply FIFO is gone once answered: the wrapper has nothing to remove.
    expect(existsSync(reply.reply) || existsSync(`${reply.reply}.taken`)).toBe(false);
    // Stdin, when containerd gave any, reaches start; its file goes.
    const withStdin = await ask(file, ['start'], home, 'options');
    expect(withStdin.answer).toBe('0 T unix:///run/x');
    expect(seen[1]).toMatchObject({ stdin: 7 });
    expect(existsSync(`${withStdin.reply}.stdin`)).toBe(false);
  });

  it('answers 1 with the error when start fails, and "stale" to a wrapper of another installation', async () => {
    const { file, home } = openFront(async () => ({ output: 'containerd-shim-wasmts-v1 start: no\n', failed: true }));
    expect((await ask(file, ['start'], home)).answer).toBe('1 L containerd-shim-wasmts-v1 start: no');
    const other = path.join(path.dirname(file), 'other');
    mkdirSync(path.join(other, 'dist'), { recursive: true });
    writeFileSync(path.join(other, 'dist', 'main.js'), '');
    expect((await ask(file, ['start'], other)).answer).toBe('stale');
  });

  it('puts output that is binary or spans lines in a file beside the reply FIFO', async () => {
    const { file, home } = openFront(async () => ({ output: new Uint8Array([1, 10, 2]), failed: false }));
    const reply = await ask(file, ['start'], home);
    expect(reply.answer).toBe('0 F');
    expect(Buffer.from(reply.out, 'utf8')).toEqual(Buffer.from([1, 10, 2]));
  });

  it('never runs a request the wrapper took back, and removes its front and pid file on close', async () => {
    let runs = 0;
    const { file, home } = openFront(async () => {
      runs++;
      return { output: 'x', failed: false };
    });
    // The wrapper gave up on it: its reply FIFO is gone by the time the daemon reads the line.
    const abandoned = path.join(path.dirname(file), 'wasmts-start-abandoned');
    const request = openSync(file, constants.O_WRONLY | constants.O_NONBLOCK);
    writeSync(request, `${[abandoned, '/b', home, '', 'start'].join('\t')}\n`);
    closeSync(request);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(runs).toBe(0);
    expect((await ask(file, ['start'], home)).answer).toBe('0 T x');
    expect(runs).toBe(1);
    fronts.pop()!.close();
    expect(existsSync(file)).toBe(false);
    expect(existsSync(`${file}.pid`)).toBe(false);
  });
});
