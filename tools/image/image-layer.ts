/**
 * Turns the files a caller wants in an image into the sorted, complete list
 * of tar entries of one layer: paths made relative to the root, every parent
 * directory present, duplicates rejected.
 */

import { InvalidArgumentError } from '../../src/errors.js';
import type { TarEntry } from './tar-writer.js';

export const DEFAULT_FILE_MODE = 0o644;
export const DEFAULT_DIRECTORY_MODE = 0o755;

/** One thing to put in the image's filesystem; `path` is absolute or relative to `/`. */
export type ImageFile =
  | { type?: 'file'; path: string; data: Uint8Array | string; mode?: number }
  | { type: 'directory'; path: string; mode?: number }
  | { type: 'symlink'; path: string; target: string };

export function layerEntries(files: readonly ImageFile[]): TarEntry[] {
  const byPath = new Map<string, TarEntry>();
  for (const file of files) {
    const path = normalizeLayerPath(file.path);
    if (byPath.has(path) && !(file.type === 'directory' && byPath.get(path)?.type === 'directory')) {
      throw new InvalidArgumentError(`image file ${JSON.stringify(file.path)} is listed twice`);
    }
    byPath.set(path, toTarEntry(path, file));
  }
  for (const path of [...byPath.keys()]) {
    for (let parent = parentOf(path); parent !== ''; parent = parentOf(parent)) {
      const existing = byPath.get(parent);
      if (existing === undefined) {
        byPath.set(parent, { type: 'directory', path: parent, mode: DEFAULT_DIRECTORY_MODE });
      } else if (existing.type !== 'directory') {
        throw new InvalidArgumentError(`image path ${JSON.stringify(parent)} is a ${existing.type} but ${JSON.stringify(path)} needs it to be a directory`);
      }
    }
  }
  // Compare on the names as written in the archive (directories end in "/"),
  // so a directory always comes before its contents.
  return [...byPath.values()].sort((a, b) => compareStrings(archiveName(a), archiveName(b)));
}

function toTarEntry(path: string, file: ImageFile): TarEntry {
  switch (file.type) {
    case 'directory':
      return { type: 'directory', path, mode: file.mode ?? DEFAULT_DIRECTORY_MODE };
    case 'symlink':
      return { type: 'symlink', path, target: file.target };
    default:
      return {
        type: 'file',
        path,
        data: typeof file.data === 'string' ? Buffer.from(file.data, 'utf8') : file.data,
        mode: file.mode ?? DEFAULT_FILE_MODE,
      };
  }
}

/** `/a//b/./c` → `a/b/c`; rejects `..` and the root itself. */
export function normalizeLayerPath(path: string): string {
  const parts = path.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) {
    throw new InvalidArgumentError(`image path ${JSON.stringify(path)} must not contain ".."`);
  }
  if (parts.length === 0) {
    throw new InvalidArgumentError(`image path ${JSON.stringify(path)} names the root directory, not a file`);
  }
  return parts.join('/');
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? '' : path.slice(0, slash);
}

function archiveName(entry: TarEntry): string {
  return entry.type === 'directory' ? `${entry.path}/` : entry.path;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
