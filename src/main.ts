/** Entry point of containerd-shim-wasmts-v1 (see bin/). */
import { main } from './shim/main.js';

const code = await main(process.argv.slice(2));
if (code >= 0) process.exit(code);
