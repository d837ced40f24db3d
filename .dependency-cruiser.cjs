/**
 * The layers of src/ (see the README's map, and DESIGN.md section 1), checked by the
 * test command: an import may point down this list, never up or across.
 *
 *   shim/       CLI actions, daemons, the ttrpc adapter
 *   task/       the Task RPCs as plain methods
 *   instance/   the engine boundary: one guest per worker
 *   wasi/       the WASI preview 1 host
 *   oci/        bundles, specs, mounts, images
 *   ttrpc/      the protocol (imports nothing else of ours)
 *
 * Beside them: errors.ts, deadline.ts, exit-status.ts and layout.ts (import nothing of ours, usable by all),
 * generated/ (wire types, for shim/ only), install/ (the release's node installer,
 * on its own), main.ts (the entry).
 */
const layer = (name) => `^src/${name}/`;
const below = {
  shim: ['task', 'instance', 'wasi', 'oci', 'ttrpc', 'generated'],
  task: ['instance', 'wasi', 'oci'],
  instance: ['wasi', 'oci'],
  wasi: ['oci'],
  oci: [],
  ttrpc: [],
  install: [],
};
const layers = ['shim', 'task', 'instance', 'wasi', 'oci', 'ttrpc', 'generated', 'install'];

module.exports = {
  forbidden: [
    ...Object.entries(below).map(([name, allowed]) => ({
      name: `${name}-points-down-only`,
      comment: `src/${name}/ may import only ${allowed.length > 0 ? allowed.map((a) => `src/${a}/`).join(', ') : 'its own files'} and the shared leaves (errors.ts, deadline.ts)`,
      severity: 'error',
      from: { path: layer(name) },
      to: { path: `^src/(${layers.filter((l) => l !== name && !allowed.includes(l)).join('|')})/` },
    })),
    {
      name: 'leaves-import-nothing',
      comment: 'errors.ts, deadline.ts, exit-status.ts and layout.ts are used by every layer, so they import nothing of ours',
      severity: 'error',
      from: { path: '^src/(errors|deadline|exit-status|layout)\\.ts$' },
      to: { path: '^src/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'src-never-imports-tests-scripts-or-tools',
      comment: 'what ships is src/ alone: tools/ (the image writer) serves tests, scripts and benchmarks',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|scripts|tools)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      extensions: ['.ts', '.js', '.d.ts'],
    },
  },
};
