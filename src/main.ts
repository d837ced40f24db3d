/** Entry point of containerd-shim-wasmts-v1 (see bin/). */
import module from 'node:module';

// containerd runs this binary for every container (start, then delete): keep V8's
// compiled code across runs. Failure to cache (read-only install) only costs time.
module.enableCompileCache?.(new URL('../.compile-cache', import.meta.url).pathname);

const { main } = await import('./shim/cli/main.js');
const code = await main(process.argv.slice(2));
if (code >= 0) process.exit(code);
