import { describe, expect, it } from 'vitest';
import { TEST_IMAGES, uniqueId, useContainerd, WASMTS_RUNTIME } from '../support/rig.js';

const containerd = useContainerd();

function run(image: string, id: string, extra: { args?: string[]; flags?: string[] } = {}) {
  return containerd.ctr(['run', '--rm', '--runtime', WASMTS_RUNTIME, ...(extra.flags ?? []), image, id, ...(extra.args ?? [])]);
}

describe('ctr run --rm --runtime io.containerd.wasmts.v1', () => {
  it("prints a C module's stdout and stderr and exits 0", async () => {
    const result = await run(TEST_IMAGES.hello.reference, uniqueId('hello'));
    expect(result.stdout).toBe('hello from wasm\n');
    expect(result.stderr).toContain('hello on stderr\n');
    expect(result.code).toBe(0);
  });

  it("prints a Rust module's output and passes its arguments", async () => {
    const result = await run(TEST_IMAGES.helloRust.reference, uniqueId('rust'), { args: ['/hello-rust.wasm', 'x', 'y z'] });
    expect(result.stdout).toContain('hello from rust\n');
    expect(result.stdout).toContain('arg[1]=x\n');
    expect(result.stdout).toContain('arg[2]=y z\n');
    expect(result.code).toBe(0);
  });

  it('runs a hand-written .wat module and returns the status it gave proc_exit', async () => {
    const result = await run(TEST_IMAGES.exitWat.reference, uniqueId('wat'));
    expect(result.stdout).toBe('hello from wat\n');
    expect(result.code).toBe(42);
  });

  it('passes process.args and process.env from the spec and none of the daemon environment', async () => {
    const result = await run(TEST_IMAGES.echoArgsEnv.reference, uniqueId('args'), {
      flags: ['--env', 'GREETING=hi there'],
      args: ['/echo-args-env.wasm', 'one', 'two words'],
    });
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('arg['))).toEqual(['arg[0]=/echo-args-env.wasm', 'arg[1]=one', 'arg[2]=two words']);
    expect(lines.filter((l) => l.startsWith('env='))).toEqual(['env=IMAGE_ENV=from-image', 'env=GREETING=hi there']);
  });

  it.each([0, 1, 42, 255])('returns exit status %i of a C module as ctr exit status', async (code) => {
    const result = await run(TEST_IMAGES.echoArgsEnv.reference, uniqueId(`exit${code}`), {
      flags: ['--env', `EXIT_CODE=${code}`],
    });
    expect(result.code).toBe(code);
  });

  it.each([0, 3, 255])('returns exit status %i of a Rust module as ctr exit status', async (code) => {
    const result = await run(TEST_IMAGES.helloRust.reference, uniqueId(`rexit${code}`), {
      args: ['/hello-rust.wasm', String(code)],
    });
    expect(result.code).toBe(code);
  });

  it('leaves no task, container or shim socket behind', async () => {
    const id = uniqueId('clean');
    await run(TEST_IMAGES.hello.reference, id);
    expect((await containerd.ctrOk(['task', 'ls', '-q'])).split('\n')).not.toContain(id);
    expect((await containerd.ctrOk(['container', 'ls', '-q'])).split('\n')).not.toContain(id);
  });
});
