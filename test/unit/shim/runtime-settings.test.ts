import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runtimeoptions } from '../../../src/generated/index.js';
import { parseRuntimeSettings, readSpareSettings, runtimeSettingsOf, spareSettingsPath, writeSpareSettings } from '../../../src/shim/daemon/runtime-settings.js';

const TYPE_URL = 'runtimeoptions.v1.Options';

describe('runtime settings', () => {
  it('reads SpareIdleSeconds from a TOML text and refuses what it does not know', () => {
    expect(parseRuntimeSettings('SpareIdleSeconds = 30\n', 'in f')).toEqual({ spareIdleSeconds: 30 });
    expect(parseRuntimeSettings('', 'in f')).toEqual({});
    expect(() => parseRuntimeSettings('SpareIdle = 3', 'in /etc/w.toml')).toThrow('wasmts runtime options in /etc/w.toml: unknown key SpareIdle (known: SpareIdleSeconds)');
    expect(() => parseRuntimeSettings('SpareIdleSeconds = 0', 'in f')).toThrow('SpareIdleSeconds must be a whole number of seconds, at least 1');
    expect(() => parseRuntimeSettings('SpareIdleSeconds = "10"', 'in f')).toThrow('SpareIdleSeconds must be a whole number');
    expect(() => parseRuntimeSettings('SpareIdleSeconds = = 1', 'in f')).toThrow(/wasmts runtime options in f are not valid TOML/);
  });

  it("takes them from containerd's runtime options: a config file, or containerd 2.x's inline body", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wasmts-settings-'));
    const file = path.join(dir, 'wasmts.toml');
    writeFileSync(file, 'SpareIdleSeconds = 45\n');
    const any = (fields: object) => ({ typeUrl: TYPE_URL, value: runtimeoptions.v1.Options.encode(fields).finish() });
    expect(runtimeSettingsOf(any({ configPath: file }))).toEqual({ spareIdleSeconds: 45 });
    expect(runtimeSettingsOf(any({ configBody: Buffer.from('SpareIdleSeconds = 7') }))).toEqual({ spareIdleSeconds: 7 });
    expect(runtimeSettingsOf(undefined)).toEqual({});
    expect(runtimeSettingsOf({ typeUrl: 'containerd.runc.v1.Options', value: new Uint8Array([8, 1]) })).toEqual({});
    expect(() => runtimeSettingsOf(any({ configPath: path.join(dir, 'absent.toml') }))).toThrow(`cannot read the wasmts runtime options file ${path.join(dir, 'absent.toml')}`);
  });

  it('passes them to spares through a file per containerd', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wasmts-settings-'));
    const file = spareSettingsPath('/run/containerd/containerd.sock', dir);
    expect(file).not.toBe(spareSettingsPath('/run/other/containerd.sock', dir));
    expect(readSpareSettings(file)).toEqual({});
    writeSpareSettings(file, { spareIdleSeconds: 12 });
    expect(readSpareSettings(file)).toEqual({ spareIdleSeconds: 12 });
  });
});
