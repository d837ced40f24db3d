import { existsSync } from 'node:fs';
import path from 'node:path';

/** Where host programs usually are: containerd hands shims a minimal PATH, sometimes none. */
const USUAL_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The path of host program `name`: on `pathVariable` (a PATH value) first, then in the usual places. */
export function findHostTool(name: string, pathVariable?: string): string | undefined {
  for (const dir of [...(pathVariable ?? '').split(':').filter((d) => d !== ''), ...USUAL_DIRS]) {
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}
