import { describe, expect, it } from 'vitest';
import { CommandError, runCommand } from '../../../src/oci/command-shell.js';

describe('the command shell', () => {
  it('runs a command with arguments quoted as given (spaces, quotes, $, ;) and returns its output', async () => {
    const args = ["it's", 'a b', '$HOME', '; echo injected', '`id`'];
    expect(await runCommand('printf', ['%s|', ...args])).toBe(`${args.join('|')}|`);
  });

  it('answers commands in the order they were sent, also when many are in flight', async () => {
    const outputs = await Promise.all(Array.from({ length: 50 }, (_, i) => runCommand('echo', [String(i)])));
    expect(outputs).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
  });

  it('rejects with the status and what the command printed, and keeps serving', async () => {
    const failure = await runCommand('ls', ['/no/such/dir']).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(CommandError);
    expect((failure as CommandError).code).not.toBe(0);
    expect((failure as CommandError).stderr).toContain('/no/such/dir');
    expect(await runCommand('echo', ['still here'])).toBe('still here');
  });

  it('counts output in bytes, not characters', async () => {
    expect(await runCommand('printf', ['%s', 'héllo wörld ✓'])).toBe('héllo wörld ✓');
  });
});
