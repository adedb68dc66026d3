// Writes data/samples/fashion-mnist-1000/: a stratified, seeded 1000-image sample (100 per class)
// of the Fashion-MNIST test set as gzipped IDX, plus the indices it was drawn from.
// Run: node scripts/run-ts.mjs scripts/make-fashion-mnist-sample.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadDataset, subset } from '../main/ddi/data/dataset';
import { encodeIdx } from '../main/ddi/data/idx';
import { stratifiedIndices } from '../main/ddi/train/rng';

const SEED = 20261125;
const out = join('data', 'samples', 'fashion-mnist-1000');
const test = loadDataset('fashion-mnist', 'test');
const indices = stratifiedIndices(test.labels, 10, 100, SEED);
const s = subset(test, indices);
mkdirSync(out, { recursive: true });
const gz = (b: Uint8Array) => gzipSync(b, { level: 9 });
writeFileSync(join(out, 't10k-images-idx3-ubyte.gz'), gz(encodeIdx([s.n, s.height, s.width], s.images)));
writeFileSync(join(out, 't10k-labels-idx1-ubyte.gz'), gz(encodeIdx([s.n], s.labels)));
writeFileSync(join(out, 'indices.json'), JSON.stringify({ source: 'fashion-mnist t10k', seed: SEED, perClass: 100, indices }) + '\n');
console.log(`wrote ${s.n} images to ${out}`);
