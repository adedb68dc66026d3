// Bundles the Node-side entry points with esbuild. Dependencies stay external (native modules,
// tfjs wasm files) so they load from node_modules exactly as in tests.
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';
import { tfjsGradientsPlugin } from './esbuild-tfjs-gradients.mjs';

import { readFileSync } from 'node:fs';
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

const common = {
  define: { __APP_VERSION__: JSON.stringify(pkg.version) },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  packages: 'external',
  logLevel: 'warning',
  // tfjs-core's gradients exist only as ES modules; inline them (see the plugin's comment).
  plugins: [tfjsGradientsPlugin],
};

const entries = [
  { in: 'main/cli/index.ts', out: 'dist/main/cli.cjs', banner: '#!/usr/bin/env node' },
  { in: 'main/electron/main.ts', out: 'dist/main/electron.cjs', optional: true },
  { in: 'main/ddi/worker/entry.ts', out: 'dist/main/ddi-worker.cjs', optional: true },
  // Exports read on their own connection in this worker (main/export/export-runner.ts finds it here).
  { in: 'main/export/export-worker.ts', out: 'dist/main/export-worker.cjs' },
  // A session's checksums are checked on their own connection in this worker (main/store/chunk-verifier.ts).
  { in: 'main/store/verify-worker.ts', out: 'dist/main/verify-worker.cjs' },
];

import { existsSync } from 'node:fs';
await Promise.all(
  entries
    .filter((e) => !e.optional || existsSync(e.in))
    .map((e) =>
      build({
        ...common,
        entryPoints: [e.in],
        outfile: e.out,
        banner: e.banner ? { js: e.banner } : undefined,
        external: ['electron'],
      }),
    ),
);
chmodSync('dist/main/cli.cjs', 0o755);

// The preload runs sandboxed: one self-contained CommonJS file that may require only 'electron'.
await build({
  ...common,
  packages: undefined,
  platform: 'node',
  entryPoints: ['preload/index.ts'],
  outfile: 'dist/preload/index.cjs',
  external: ['electron'],
});
