import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
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

/** What the sh wrapper does: a request directory, its path on the front, then the status from `done`. */
async function ask(front: string, argv: string[], home: string): Promise<{ status: string; out: string; dir: string }> {
  const dir = mkdtempSync(path.join(path.dirname(front), 'wasmts-start-'));
  writeFileSync(path.join(dir, 'stdin'), '');
  writeFileSync(path.join(dir, 'args'), argv.map((a) => `${a}\n`).join(''));
  writeFileSync(path.join(dir, 'bundle'), '/some/bundle');
  writeFileSync(path.join(dir, 'home'), home);
  execFileSync('mkfifo', ['-m', '600', path.join(dir, 'done')]);
  const done = openSync(path.join(dir, 'done'), constants.O_RDWR | constants.O_NONBLOCK);
  const request = openSync(front, constants.O_WRONLY | constants.O_NONBLOCK);
  writeSync(request, `${dir}\n`);
  closeSync(request);
  const buffer = Buffer.alloc(64);
  for (let i = 0; i < 200; i++) {
    try {
      const n = readSync(done, buffer, 0, 64, null);
      if (n > 0) {
        closeSync(done);
        const out = existsSync(path.join(dir, 'out')) ? readFileSync(path.join(dir, 'out'), 'utf8') : '';
        return { status: buffer.subarray(0, n).toString().trim(), out, dir };
      }
    } catch {
      // EAGAIN: not yet
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  closeSync(done);
  return { status: 'none', out: '', dir };
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
    expect(reply).toMatchObject({ status: '0', out: 'unix:///run/x' });
    expect(seen).toEqual([{ argv: ['-namespace', 'ns', '-id', 'c1', 'start'], bundle: '/some/bundle', stdin: 0 }]);
  });

  it('answers 1 with the error when start fails, and "stale" to a wrapper of another installation', async () => {
    const { file, home } = openFront(async () => ({ output: 'containerd-shim-wasmts-v1 start: no\n', failed: true }));
    expect(await ask(file, ['start'], home)).toMatchObject({ status: '1', out: 'containerd-shim-wasmts-v1 start: no\n' });
    const other = path.join(path.dirname(file), 'other');
    mkdirSync(path.join(other, 'dist'), { recursive: true });
    writeFileSync(path.join(other, 'dist', 'main.js'), '');
    expect(await ask(file, ['start'], other)).toMatchObject({ status: 'stale', out: '' });
  });

  it('never runs a request the wrapper took back, and removes its front and pid file on close', async () => {
    let runs = 0;
    const { file, home } = openFront(async () => {
      runs++;
      return { output: 'x', failed: false };
    });
    const dir = mkdtempSync(path.join(path.dirname(file), 'wasmts-start-'));
    writeFileSync(path.join(dir, 'args'), 'start\n');
    renameSync(path.join(dir, 'args'), path.join(dir, 'args.abandoned'));
    const request = openSync(file, constants.O_WRONLY | constants.O_NONBLOCK);
    writeSync(request, `${dir}\n`);
    closeSync(request);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(runs).toBe(0);
    expect((await ask(file, ['start'], home)).status).toBe('0');
    expect(runs).toBe(1);
    fronts.pop()!.close();
    expect(existsSync(file)).toBe(false);
    expect(existsSync(`${file}.pid`)).toBe(false);
  });
});
