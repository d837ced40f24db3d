import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CTR_BINARY } from '../support/containerd.js';
import { TEST_IMAGES, uniqueId, useContainerd, WASMTS_RUNTIME } from '../support/rig.js';
import { removeTask, waitForStatus } from '../support/tasks.js';

const containerd = useContainerd();

const sha = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

// containerd 1.6's ctr has no -i: `ctr run` and `ctr task exec` always attach their stdin.
describe('ctr run with input on its stdin', () => {
  it('gives the guest every byte of a large stdin, then end of file', async () => {
    const input = randomBytes(3 * 1024 * 1024).toString('base64'); // 4 MiB of text
    const result = await containerd.ctr(['run', '--rm', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.cat.reference, uniqueId('cat')], {
      input,
      timeoutMs: 60_000,
    });
    expect(result.code).toBe(0);
    expect(result.stdout.length).toBe(input.length);
    expect(sha(result.stdout)).toBe(sha(input));
  });

  it('streams each line to the guest as it is typed and ends the guest when stdin closes', async () => {
    const id = uniqueId('stream');
    const child = spawn(
      CTR_BINARY,
      ['--address', containerd.address, '--namespace', containerd.namespace, 'run', '--rm', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.cat.reference, id],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let output = '';
    const seen = (text: string) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`never saw ${JSON.stringify(text)}; got ${JSON.stringify(output)}`)), 10_000);
        const check = () => {
          if (!output.includes(text)) return;
          clearTimeout(timer);
          child.stdout.off('data', check);
          resolve();
        };
        child.stdout.on('data', check);
        check();
      });
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      await waitForStatus(containerd, id, 'RUNNING', 10_000);
      child.stdin.write('first line\n');
      await seen('first line\n');
      child.stdin.write('second line\n');
      await seen('second line\n');
      child.stdin.end();
      expect(await exited).toBe(0);
      expect(output).toBe('first line\nsecond line\n');
    } finally {
      child.kill('SIGKILL');
      await removeTask(containerd, id);
    }
  });

  it('gives an exec its own stdin with ctr task exec', async () => {
    const id = uniqueId('exec-stdin');
    await containerd.ctrOk(['run', '-d', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.toolbox.reference, id]);
    try {
      const result = await containerd.ctr(['task', 'exec', '--exec-id', 'cat', id, '/cat.wasm'], { input: 'to the exec\n' });
      expect(result.stdout).toBe('to the exec\n');
      expect(result.code).toBe(0);
    } finally {
      await removeTask(containerd, id);
    }
  });
});

// ctr reads an empty stdin to its end before the shim has even opened the FIFO: its writer
// comes and goes first, and ctr sends no CloseIO then (it is not yet wired to the task).
describe('ctr run with an empty stdin', () => {
  const run = (id: string, input?: string) =>
    containerd.ctr(['run', '--rm', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.cat.reference, id], {
      ...(input === undefined ? {} : { input }),
      timeoutMs: 20_000,
    });

  it('ends a guest reading stdin at once when stdin is /dev/null, 20 times in a row', async () => {
    for (let i = 0; i < 20; i++) {
      const result = await run(uniqueId('devnull'));
      expect(result.timedOut, `run ${i}: the guest never saw end of file`).toBe(false);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('');
    }
  }, 300_000);

  it('ends a guest reading stdin at once when stdin is a pipe closed before anything was written', async () => {
    for (let i = 0; i < 5; i++) {
      const result = await run(uniqueId('empty-pipe'), '');
      expect(result.timedOut, `run ${i}: the guest never saw end of file`).toBe(false);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('');
    }
  }, 120_000);

  it('ends an exec reading an empty stdin at once', async () => {
    const id = uniqueId('exec-empty');
    await containerd.ctrOk(['run', '-d', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.toolbox.reference, id]);
    try {
      const result = await containerd.ctr(['task', 'exec', '--exec-id', 'cat-empty', id, '/cat.wasm'], { input: '', timeoutMs: 20_000 });
      expect(result.timedOut).toBe(false);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('');
    } finally {
      await removeTask(containerd, id);
    }
  });

  it('ends a guest reading stdin at once when ctr attaches no stdin (--null-io)', async () => {
    const result = await containerd.ctr(['run', '--rm', '--null-io', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.cat.reference, uniqueId('null-io')], {
      timeoutMs: 20_000,
    });
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(0);
  });
});
