/**
 * Bundles a worker entry for a test exactly as scripts/build-main.mjs does, into a fresh folder under
 * .cache (inside the repository, so its external packages resolve from node_modules). Returns the
 * bundle's path and a cleanup.
 */
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
// @ts-expect-error plain .mjs build helper without types
import { tfjsGradientsPlugin } from '../../scripts/esbuild-tfjs-gradients.mjs';

export async function bundleWorker(entry: string, outName = `${basename(entry, '.ts')}.cjs`): Promise<{ path: string; dir: string; cleanup: () => void }> {
  mkdirSync(resolve('.cache'), { recursive: true });
  const dir = mkdtempSync(join(resolve('.cache'), `${basename(entry, '.ts')}-`));
  const path = join(dir, outName);
  await build({
    entryPoints: [entry],
    outfile: path,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    logLevel: 'warning',
    plugins: [tfjsGradientsPlugin],
  });
  return { path, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
