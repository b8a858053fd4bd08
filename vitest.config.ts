import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string): string => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

export default defineConfig({
  // Examples import the package by name, as a project that installed it would; in this
  // checkout the name means the sources (tsconfig.json's `paths` says the same to tsc and tsx).
  resolve: {
    alias: [
      { find: /^hearsay$/, replacement: src('index.ts') },
      { find: /^hearsay\/testing$/, replacement: src('testing/index.ts') },
      { find: /^hearsay\/testing\/contract$/, replacement: src('testing/contract.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
