import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runModule, tempDir } from './helpers.js';

function clangAvailable(): boolean {
  try {
    execFileSync('clang-14', ['--version'], { stdio: 'ignore' });
    return fs.existsSync('/usr/lib/wasm32-wasi/libc.a');
  } catch {
    return false;
  }
}

/** Compiles a C fixture with Debian's clang-14 and wasi-libc (reference/toolchains-and-images.md). */
function compile(source: string): Uint8Array {
  const out = path.join(tempDir('wasi-cc-'), 'guest.wasm');
  execFileSync('clang-14', ['--target=wasm32-wasi', '-O2', '-s', '-o', out, path.join(import.meta.dirname, 'fixtures', source)]);
  return fs.readFileSync(out);
}

describe.skipIf(!clangAvailable())('a wasi-libc program', () => {
  it('runs its tour of files, directories, clocks and stdio with the expected output', async () => {
    const top = tempDir('wasi-libc-');
    const rootfs = path.join(top, 'rootfs');
    fs.mkdirSync(path.join(rootfs, 'etc'), { recursive: true });
    fs.writeFileSync(path.join(rootfs, 'etc', 'motd'), 'welcome\n');
    fs.writeFileSync(path.join(rootfs, 'etc', 'hosts'), '');
    fs.writeFileSync(path.join(top, 'outside'), 'secret');
    const result = await runModule(compile('libc-tour.c'), {
      args: ['tour', 'first'],
      env: ['GREETING=hi'],
      preopens: [{ guestPath: '/', hostPath: rootfs }],
      stdinText: 'a\nb\n',
    });
    expect(result.stderr).toBe('to stderr\n');
    expect(result.stdout).toBe(
      [
        'argc=2 argv1=first env=hi',
        'motd=welcome',
        'size=8 regular=1',
        'etc: . .. hosts motd',
        'escape fd=-1 errno=Capabilities insufficient',
        'slept>=20ms 1',
        'stdin isatty=0',
        'stdin: a',
        'stdin: b',
        '',
      ].join('\n'),
    );
    expect(result.code).toBe(3);
    expect(fs.readFileSync(path.join(rootfs, 'work', 'renamed.txt'), 'utf8')).toBe('written\n');
  });
});
