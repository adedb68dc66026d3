/**
 * Where the app's shipped data folder (data/: models, samples) lives. The same code runs from the
 * TypeScript sources (tests), from the esbuild bundle in dist/main/ and from a packaged app, so we
 * walk up from a few anchors looking for the folder instead of hard-coding a relative path.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Default location of Debian's dataset-fashion-mnist package. */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

function walkUp(start: string, probe: string): string | undefined {
  let dir = resolve(start);
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, probe))) return dir;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

/** The data/ folder: $DDI_DATA_DIR, else the nearest data/samples above this module, the script or cwd. */
export function dataDir(): string {
  const env = process.env['DDI_DATA_DIR'];
  if (env) return resolve(env);
  const anchors = [
    typeof __dirname === 'string' ? __dirname : undefined,
    process.argv[1] ? dirname(process.argv[1]) : undefined,
    process.cwd(),
  ];
  for (const a of anchors) {
    if (!a) continue;
    const root = walkUp(a, join('data', 'samples'));
    if (root) return join(root, 'data');
  }
  return resolve('data');
}

export function sampleDir(): string {
  return join(dataDir(), 'samples', 'fashion-mnist-1000');
}

export function modelsDir(): string {
  return join(dataDir(), 'models');
}
