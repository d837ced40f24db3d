/** Entry point of containerd-shim-wasmts-v1 (see bin/). */
import module from 'node:module';
import { COMPILE_CACHE_DIR, SHIM_BUNDLE } from './layout.js';

// containerd runs this binary for every container (start, then delete): keep V8's
// compiled code across runs. Failure to cache (read-only install) only costs time.
module.enableCompileCache?.(COMPILE_CACHE_DIR);

// One bundle (scripts/bundle.mjs) instead of a hundred modules: resolving and loading
// them one by one cost a cold daemon about a third of its boot.
const { main } = (await import(SHIM_BUNDLE.href)) as typeof import('./shim/cli/main.js');
const code = await main(process.argv.slice(2));
if (code >= 0) process.exit(code);
