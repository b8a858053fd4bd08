/**
 * The package version for `hearsay --version`, read from the package.json that ships beside the
 * code (`dist/cli.js` and `src/cli/main.ts` sit at different depths, so it is looked up).
 * @module
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The version in the nearest `package.json` named `hearsay` above this file; `unknown` if none is found. */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'hearsay' && pkg.version) return pkg.version;
    } catch {
      // not here: keep climbing
    }
    dir = dirname(dir);
  }
  return 'unknown';
}
