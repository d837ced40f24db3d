import { describe, expect, it } from 'vitest';
import { parseFlags } from '../../../src/shim/cli/flags.js';

describe('parseFlags', () => {
  it('reads the start invocation containerd 1.6 sends', () => {
    const flags = parseFlags([
      '-namespace', 'research', '-address', '/run/c.sock', '-publish-binary', '/usr/bin/containerd', '-id', 'probe1', 'start',
    ]);
    expect(flags).toMatchObject({
      namespace: 'research',
      address: '/run/c.sock',
      publishBinary: '/usr/bin/containerd',
      id: 'probe1',
      action: 'start',
      debug: false,
    });
  });

  it('reads -bundle and -debug before the delete action', () => {
    const flags = parseFlags(['-namespace', 'n', '-id', 'x', '-bundle', '/b', '-debug', 'delete']);
    expect(flags).toMatchObject({ bundle: '/b', debug: true, action: 'delete' });
  });

  it('accepts -name=value and double-dash forms', () => {
    expect(parseFlags(['--namespace=k8s.io', '-debug=false', 'start'])).toMatchObject({
      namespace: 'k8s.io',
      debug: false,
      action: 'start',
    });
  });

  it('tolerates flags it does not know', () => {
    const flags = parseFlags(['-future-flag', '-id', 'a', 'start']);
    expect(flags.unknown).toEqual(['-future-flag']);
    expect(flags.action).toBe('start');
  });

  it('recognises -v and -info', () => {
    expect(parseFlags(['-v']).version).toBe(true);
    expect(parseFlags(['-info']).info).toBe(true);
  });
});
