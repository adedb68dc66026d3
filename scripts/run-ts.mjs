// Bundles a TypeScript entry (bench or script) with the same esbuild settings as the app build
// and runs it: node scripts/run-ts.mjs bench/ddi.ts [args...]
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { tfjsGradientsPlugin } from './esbuild-tfjs-gradients.mjs';

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run-ts.mjs FILE.ts [args...]');
  process.exit(2);
}
const outfile = `.cache/run-ts/${basename(entry).replace(/\.ts$/, '')}.cjs`;
await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'inline',
  packages: 'external',
  logLevel: 'warning',
  plugins: [tfjsGradientsPlugin],
  // Code shared with the ESM test files reads import.meta with a fallback for this CommonJS bundle.
  logOverride: { 'empty-import-meta': 'silent' },
  // As in the app build: the version is compiled in.
  define: { __APP_VERSION__: JSON.stringify(JSON.parse(readFileSync('package.json', 'utf8')).version) },
});
const r = spawnSync(process.execPath, ['--enable-source-maps', outfile, ...args], { stdio: 'inherit' });
process.exit(r.status ?? 1);
