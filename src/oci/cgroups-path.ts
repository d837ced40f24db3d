/**
 * Where a spec's `linux.cgroupsPath` lives in a cgroup hierarchy. Two forms,
 * as runc reads them:
 * - cgroupfs: a path, absolute (from the hierarchy's root) or relative (taken
 *   from the root here, as a daemon has no parent container);
 * - systemd: `slice:prefix:name` (what CRI writes when the runtime uses the
 *   systemd driver): the unit `prefix-name.scope` inside the slice, whose
 *   dashes nest it (`kubepods-besteffort-pod1.slice` lives in
 *   `kubepods.slice/kubepods-besteffort.slice/`).
 */
import { InvalidArgumentError } from '../errors.js';

/** The path below a hierarchy's mount point, starting with `/`. */
export function cgroupDirectory(cgroupsPath: string): string {
  const systemd = /^([^:/]*):([^:/]*):([^:/]+)$/.exec(cgroupsPath);
  if (systemd !== null) {
    const [, slice, prefix, name] = systemd as unknown as [string, string, string, string];
    const unit = name.endsWith('.slice') ? name : `${prefix === '' ? '' : `${prefix}-`}${name}.scope`;
    return `/${[...expandSlice(slice === '' ? 'system.slice' : slice), unit].join('/')}`;
  }
  const parts = cgroupsPath.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new InvalidArgumentError(`linux.cgroupsPath ${JSON.stringify(cgroupsPath)} may not contain ..`);
  return `/${parts.join('/')}`;
}

/** `a-b-c.slice` → [`a.slice`, `a-b.slice`, `a-b-c.slice`]; `-.slice` is the root. */
function expandSlice(slice: string): string[] {
  if (!slice.endsWith('.slice') || slice.includes('/')) throw new InvalidArgumentError(`systemd slice ${JSON.stringify(slice)} is not a slice name`);
  const stem = slice.slice(0, -'.slice'.length);
  if (stem === '-') return [];
  if (stem === '' || stem.startsWith('-') || stem.endsWith('-') || stem.includes('--')) {
    throw new InvalidArgumentError(`systemd slice ${JSON.stringify(slice)} is not a valid slice name`);
  }
  const words = stem.split('-');
  return words.map((_, i) => `${words.slice(0, i + 1).join('-')}.slice`);
}
