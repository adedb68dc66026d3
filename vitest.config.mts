import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig({
  define: { __APP_VERSION__: JSON.stringify(pkg.version) },
  test: {
    // The test-only models (tests/fixtures/models, e.g. tiny-random-test) are the "user's models folder"
    // of every test, so tests, spawned CLIs and browser-mode servers find them by name; data/models
    // holds only what ships.
    env: { DDI_MODELS_DIR: fileURLToPath(new URL('./tests/fixtures/models', import.meta.url)) },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts', 'tests/unit/**/*.test.tsx'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Native modules (better-sqlite3, serialport, tfjs-wasm) are happiest in forked processes.
          pool: 'forks',
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          pool: 'forks',
          fileParallelism: false,
        },
      },
    ],
  },
});
