import fs from 'node:fs';
import path from 'node:path';

/**
 * Writes a ConfigMap volume the way kubelet's atomic writer does: the keys in a
 * timestamped directory, `..data` pointing at it (swapped by a rename, so an
 * update is atomic), and each key a symlink through `..data`. Call again with a
 * new version to update it.
 */
export function writeConfigMap(dir: string, version: string, keys: Record<string, string>): void {
  const stamped = `..2026_12_06_${version}`;
  fs.mkdirSync(path.join(dir, stamped), { recursive: true });
  for (const [key, value] of Object.entries(keys)) fs.writeFileSync(path.join(dir, stamped, key), value);
  fs.symlinkSync(stamped, path.join(dir, '..data_tmp'));
  fs.renameSync(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
  for (const key of Object.keys(keys)) {
    if (!fs.existsSync(path.join(dir, key))) fs.symlinkSync(`..data/${key}`, path.join(dir, key));
  }
}
