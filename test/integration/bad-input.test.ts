import { describe, expect, it } from 'vitest';
import { TEST_IMAGES, uniqueId, useContainerd, WASMTS_RUNTIME } from '../support/rig.js';

const containerd = useContainerd();

function run(image: string, id: string) {
  return containerd.ctr(['run', '--rm', '--runtime', WASMTS_RUNTIME, image, id]);
}

async function expectNextRunWorks(): Promise<void> {
  const result = await run(TEST_IMAGES.hello.reference, uniqueId('after'));
  expect(result.stdout).toBe('hello from wasm\n');
  expect(result.code).toBe(0);
}

async function expectNothingLeft(id: string): Promise<void> {
  // ctr run --rm removes the container even when the task could not be created.
  await containerd.ctr(['container', 'delete', id]);
  expect((await containerd.ctrOk(['task', 'ls', '-q'])).split('\n')).not.toContain(id);
}

describe('bad input gives a clear error through ctr and the daemon keeps working', () => {
  it.each([
    ['a truncated module', TEST_IMAGES.truncated.reference, /\/truncated\.wasm is not a valid WebAssembly module/],
    ['a text file', TEST_IMAGES.notWasm.reference, /\/not-wasm\.txt is a text file .*not a WebAssembly module/],
    [
      'a Linux ELF binary',
      TEST_IMAGES.linuxBinary.reference,
      /\/linux-binary is a Linux ELF executable, not a WebAssembly module; wasmts runs WebAssembly/,
    ],
    [
      'a module importing a function we do not provide',
      TEST_IMAGES.missingImport.reference,
      /\/missing-import\.wasm imports env\.not_provided \(function\), which wasmts does not provide/,
    ],
    ['an entrypoint missing from the image', TEST_IMAGES.missingEntrypoint.reference, /\/missing\.wasm does not exist in the container's rootfs/],
  ])('refuses %s, naming the path and the problem', async (_what, image, message) => {
    const id = uniqueId('bad');
    const result = await run(image, id);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(message);
    await expectNothingLeft(id);
    await expectNextRunWorks();
  });

  it('ends a trapping module with a non-zero status and the trap message on its stderr', async () => {
    const result = await run(TEST_IMAGES.trap.reference, uniqueId('trap'));
    expect(result.stdout).toContain('about to trap');
    expect(result.code).toBe(134);
    expect(result.stderr).toMatch(/wasm trap: unreachable/);
    expect(result.stderr).toContain('crash_here');
    await expectNextRunWorks();
  });

  it('keeps serving a task of the same daemon group while another one fails', async () => {
    const group = uniqueId('group');
    const good = uniqueId('good');
    const label = ['--annotation', `io.containerd.wasmts.v1.group=${group}`];
    await containerd.ctrOk(['run', '-d', ...label, '--runtime', WASMTS_RUNTIME, TEST_IMAGES.ticker.reference, good]);
    const bad = uniqueId('bad');
    const failed = await containerd.ctr(['run', '--rm', ...label, '--runtime', WASMTS_RUNTIME, TEST_IMAGES.truncated.reference, bad]);
    expect(failed.code).not.toBe(0);
    expect(await containerd.ctrOk(['task', 'ls'])).toMatch(new RegExp(`${good}\\s+\\d+\\s+RUNNING`));
    await containerd.ctrOk(['task', 'kill', '-s', 'SIGKILL', good]);
    await new Promise((r) => setTimeout(r, 300));
    await containerd.ctrOk(['task', 'delete', good]);
    await containerd.ctrOk(['container', 'delete', good]);
  });
});
