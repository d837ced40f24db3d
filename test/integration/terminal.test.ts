import { describe, expect, it } from 'vitest';
import { CTR_BINARY } from '../support/containerd.js';
import { TEST_IMAGES, uniqueId, useContainerd, WASMTS_RUNTIME } from '../support/rig.js';
import { runOnTerminal } from '../support/terminal.js';
import { removeTask, waitForStatus } from '../support/tasks.js';

const containerd = useContainerd();
const ctr = (...args: string[]) => runOnTerminal(CTR_BINARY, ['--address', containerd.address, '--namespace', containerd.namespace, ...args]);

describe('ctr run -t', () => {
  it('gives the guest a terminal: isatty is true on every stdio, typed lines echo and reach it, ^D ends its input', async () => {
    const term = ctr('run', '--rm', '-t', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.ttyProbe.reference, uniqueId('tty'));
    try {
      await term.waitFor('isatty 0=1 1=1 2=1\n');
      term.type('hello there\r');
      const screen = await term.waitFor('got: hello there\n');
      // The typed line was echoed before the guest answered.
      expect(screen).toContain('hello there\ngot: hello there\n');
      term.type('typo\x7f\x7f\x7fpo\r');
      await term.waitFor('got: tpo\n');
      term.type('\x04');
      await term.waitFor('eof\n');
      expect(await term.exited).toBe(0);
      // Output went through the terminal's newline translation (ONLCR).
      expect(term.screen).toContain('got: hello there\r');
      // ctr sent ResizePty with the terminal's size and it was accepted (ctr prints a failure).
      expect(term.screen).not.toMatch(/resize/i);
    } finally {
      term.kill();
    }
  });

  it('ends the guest with 130 on ^C', async () => {
    const term = ctr('run', '--rm', '-t', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.ttyProbe.reference, uniqueId('tty-int'));
    try {
      await term.waitFor('isatty');
      term.type('half a line\x03');
      await term.waitFor('^C');
      expect(await term.exited).toBe(130);
    } finally {
      term.kill();
    }
  });

  it('gives an exec its own terminal with ctr task exec -t', async () => {
    const id = uniqueId('tty-exec');
    await containerd.ctrOk(['run', '-d', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.toolbox.reference, id]);
    const term = ctr('task', 'exec', '-t', '--exec-id', 'shell', id, '/tty-probe.wasm');
    try {
      await waitForStatus(containerd, id, 'RUNNING');
      await term.waitFor('isatty 0=1 1=1 2=1\n');
      term.type('from exec\r');
      await term.waitFor('got: from exec\n');
      term.type('\x04');
      expect(await term.exited).toBe(0);
    } finally {
      term.kill();
      await removeTask(containerd, id);
    }
  });

  it('keeps stdio of a run without -t as plain pipes (isatty false)', async () => {
    const result = await containerd.ctr(['run', '--rm', '--runtime', WASMTS_RUNTIME, TEST_IMAGES.ttyProbe.reference, uniqueId('notty')], { input: 'piped\n' });
    expect(result.stdout).toBe('isatty 0=0 1=0 2=0\ngot: piped\neof\n');
  });
});
