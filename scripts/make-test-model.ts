/**
 * Writes data/models/tiny-random-test: a small gated ResNet with RANDOM (untrained) weights for
 * tests, CLI smoke runs and UI development. Its predictions are meaningless by design.
 * Run: node scripts/run-ts.mjs scripts/make-test-model.ts
 */
import { initBackend } from '../main/ddi/backend';
import { resnetConfig } from '../main/ddi/config';
import { buildModel } from '../main/ddi/model';
import { saveModel } from '../main/ddi/io';
import { FASHION_MNIST_CLASSES } from '../main/ddi/data/dataset';

async function main(): Promise<void> {
  await initBackend('cpu');
  const config = resnetConfig({
    name: 'resnet14-narrow',
    blocksPerStage: [2, 2, 2],
    widths: [8, 16, 32],
    gates: { groupSize: 4, initBias: 0 },
    exits: { headWidth: 16 },
  });
  const model = buildModel(config, 20261125);
  await saveModel(model, 'data/models/tiny-random-test', {
    name: 'tiny-random-test',
    description: 'RANDOM WEIGHTS, NOT TRAINED: a narrow gated ResNet-14 (8/16/32) for tests and smoke runs; predictions are meaningless.',
    randomWeights: true,
    dataset: { name: 'fashion-mnist', classes: FASHION_MNIST_CLASSES },
    normalization: { mean: [0.286], std: [0.353] },
    training: { trained: false, seed: 20261125, note: 'buildModel(config, seed) initial weights only' },
  });
  model.dispose();
}
void main();
