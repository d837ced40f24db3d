// Copies the generated JavaScript and its declarations from src/generated/ to
// dist/generated/. tsc compiles only .ts files, so without this the compiled
// dist/generated/index.js would import a proto.js that is not there.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const from = join(root, 'src', 'generated');
const to = join(root, 'dist', 'generated');

const copied = readdirSync(from)
  .filter((name) => name.endsWith('.js') || name.endsWith('.d.ts'))
  .sort();
if (copied.length === 0) {
  throw new Error(`no generated .js files in ${from}; run npm run gen:proto`);
}

mkdirSync(to, { recursive: true });
for (const name of copied) copyFileSync(join(from, name), join(to, name));
console.log(`copied ${copied.join(', ')} to dist/generated/`);
