/**
 * Where the runtime's own files are, found from this file's place. It runs as
 * dist/layout.js (compiled) or inside dist/wasmts-*.mjs (bundled): both sit
 * directly in dist/, so the paths below hold either way.
 */
import { fileURLToPath } from 'node:url';

const DIST = new URL('./', import.meta.url);

/** The entry script (dist/main.js) that daemons and delegates are run as. */
export const ENTRY_SCRIPT = fileURLToPath(new URL('main.js', DIST));

/** The bundle of the shim runner (every CLI action and the daemons) that main.js loads. */
export const SHIM_BUNDLE = new URL('wasmts-shim.mjs', DIST);

/** The bundle a guest worker thread boots (src/instance/worker-main.ts and what it imports). */
export const GUEST_WORKER_BUNDLE = new URL('wasmts-guest-worker.mjs', DIST);

export const PACKAGE_JSON = fileURLToPath(new URL('../package.json', DIST));

/** V8's compiled code for the scripts above, kept across runs. */
export const COMPILE_CACHE_DIR = fileURLToPath(new URL('../.compile-cache', DIST));

/** The addon with which a warm daemon enters a pod's network namespace (scripts/build-native.mjs); absent when nothing could compile it. */
export const NETNS_ADDON = fileURLToPath(new URL('wasmts-netns.node', DIST));
