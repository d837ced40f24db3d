import { readFileSync } from 'node:fs';
import { PACKAGE_JSON } from '../../layout.js';

export const RUNTIME_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();

/** What `-v` prints, in the shape containerd's own shims use. */
export function versionText(binaryName: string): string {
  return `${binaryName}:\n  Version:  ${RUNTIME_VERSION}\n  Node.js:  ${process.version}\n`;
}

/** The shim binary containerd runs for `io.containerd.wasmts.v1`. */
export const BINARY_NAME = 'containerd-shim-wasmts-v1';
