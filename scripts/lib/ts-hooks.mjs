// Lets the pinned Node.js run the project's TypeScript sources directly (type stripping):
// sources import siblings as `./x.js` (TypeScript's nodenext style), so a `.js`
// specifier inside the repository resolves to the `.ts` file when no `.js` exists.
// Use: node --import ./scripts/lib/ts-hooks.mjs script.ts
import { existsSync } from 'node:fs';
import nodeModule from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repoUrl = pathToFileURL(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..') + path.sep).href;

nodeModule.registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier.startsWith('.') && specifier.endsWith('.js') && context.parentURL?.startsWith(repoUrl)) {
      const jsUrl = new URL(specifier, context.parentURL);
      const tsUrl = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
      if (!jsUrl.href.includes('/node_modules/') && !existsSync(jsUrl) && existsSync(tsUrl)) {
        return nextResolve(tsUrl.href, context);
      }
    }
    return nextResolve(specifier, context);
  },
});
