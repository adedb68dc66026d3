/**
 * Writes tests/fixtures/models/tiny-random-test: a small gated ResNet with RANDOM (untrained) weights
 * for tests and CLI smoke runs. Its predictions are meaningless by design, so it is a test fixture and
 * does not ship in data/models (tests find it by name through DDI_MODELS_DIR, see vitest.config.mts).
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
  await saveModel(model, 'tests/fixtures/models/tiny-random-test', {
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
