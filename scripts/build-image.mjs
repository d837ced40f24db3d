#!/usr/bin/env node
// Writes a wasm/wasi OCI image layout tar for `ctr images import --all-platforms`.
//
//   node scripts/build-image.mjs --ref docker.io/wasmts/hello:latest \
//     --file /hello.wasm=build/fixtures/hello.wasm --entrypoint /hello.wasm \
//     [--cmd ARG]... [--env K=V]... [--workdir DIR] [--label K=V]... \
//     --out build/images/hello.tar
//
// --entrypoint and --cmd may be repeated; each occurrence is one argv element.
// Files are stored with mode 0755. Needs Node 24 (the pinned one:
// node_modules/.bin/node): it loads tools/image/image-builder.ts directly with
// Node's type stripping, so no `npm run build` is needed.

import { readFile } from 'node:fs/promises';
import nodeModule from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// The image writer is TypeScript (tools/image/), loaded with Node's type stripping.
if (typeof nodeModule.registerHooks !== 'function') {
  console.error(`build-image: needs Node 24 (it loads TypeScript sources); this is ${process.version}. Run it with node_modules/.bin/node or npx node.`);
  process.exit(2);
}
await import('./lib/ts-hooks.mjs');

const FILE_MODE = 0o755;

function usage(message) {
  console.error(`build-image: ${message}`);
  console.error(
    'usage: node scripts/build-image.mjs --ref NAME[:TAG] --file /IN/IMAGE=HOST/PATH... --entrypoint ARG... ' +
      '[--cmd ARG]... [--env K=V]... [--workdir DIR] [--label K=V]... [--platform OS/ARCH] --out FILE.tar',
  );
  process.exit(2);
}

function splitPair(value, flag) {
  const eq = value.indexOf('=');
  if (eq <= 0) usage(`${flag} ${value}: expected LEFT=RIGHT`);
  return [value.slice(0, eq), value.slice(eq + 1)];
}

/** `os/architecture`, as docker and ctr write it (e.g. linux/amd64). */
function platformOf(value) {
  const [os, architecture] = value.split('/');
  if (!os || !architecture) usage(`--platform ${value}: expected OS/ARCH`);
  return { os, architecture };
}

async function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        ref: { type: 'string' },
        file: { type: 'string', multiple: true, default: [] },
        entrypoint: { type: 'string', multiple: true, default: [] },
        cmd: { type: 'string', multiple: true },
        env: { type: 'string', multiple: true },
        workdir: { type: 'string' },
        label: { type: 'string', multiple: true },
        out: { type: 'string' },
        platform: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    usage(err.message);
  }
  if (!values.ref) usage('--ref is required');
  if (!values.out) usage('--out is required');
  if (values.entrypoint.length === 0) usage('--entrypoint is required');

  const files = await Promise.all(
    values.file.map(async (spec) => {
      const [imagePath, hostPath] = splitPair(spec, '--file');
      return { path: imagePath, data: await readFile(path.resolve(hostPath)), mode: FILE_MODE };
    }),
  );
  const labels = values.label ? Object.fromEntries(values.label.map((l) => splitPair(l, '--label'))) : undefined;

  const { writeImage } = await import(pathToFileURL(path.join(repoRoot, 'tools', 'image', 'image-builder.ts')).href);
  const image = await writeImage(path.resolve(values.out), {
    reference: values.ref,
    entrypoint: values.entrypoint,
    cmd: values.cmd,
    env: values.env,
    workingDir: values.workdir,
    labels,
    files,
    platform: values.platform ? platformOf(values.platform) : undefined,
  });
  console.log(`${image.reference} ${image.manifestDigest} ${path.relative(process.cwd(), path.resolve(values.out))}`);
}

await main();
