import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { resnetConfig } from '../../../main/ddi/config';
import { buildModel, type DdiModel } from '../../../main/ddi/model';
import type { ImageDataset } from '../../../main/ddi/data/dataset';
import { evaluateMasked } from '../../../main/ddi/train/evaluate';
import { evaluateAblations, parseAblationVariant } from '../../../scripts/lab/gate-ablation-lib';
import { prepareTraining } from '../../../main/ddi/train/setup';
import { Rng } from '../../../main/ddi/train/rng';

function noiseDataset(n: number): ImageDataset {
  const rng = new Rng(7);
  const images = Uint8Array.from({ length: n * 64 }, () => rng.int(256));
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 4);
  return { name: 'noise', n, height: 8, width: 8, channels: 1, numClasses: 4, classNames: ['a', 'b', 'c', 'd'], images, labels };
}

// initBias 0 and random weights: gates decide differently image by image, so every override changes something.
const toyConfig = () =>
  resnetConfig({
    blocksPerStage: [2, 2, 2],
    widths: [4, 8, 8],
    input: { height: 8, width: 8, channels: 1 },
    numClasses: 4,
    gates: { layer: true, channel: true, groupSize: 2, channelHidden: 4, initBias: 0, skipDownsampling: false },
    exits: { afterUnit: [1, 3], headWidth: 4 },
    name: 'ablation-toy',
  });
let model: DdiModel;
const norm = { mean: [0.5], std: [0.3] };
const ds = noiseDataset(40);

beforeAll(async () => {
  prepareTraining();
  await tf.setBackend('wasm');
  model = buildModel(toyConfig(), 11);
});

describe('gate ablation', () => {
  it('replays the learned decisions exactly, and forcing every block to full width is the all-on network', async () => {
    const everyBlockFull = parseAblationVariant([0, 1, 2, 3, 4, 5].map((k) => `block${k}=full`).join(','), model);
    const [learned, full] = await evaluateAblations(model, ds, norm, [everyBlockFull], { batchSize: 16 });
    const masked = evaluateMasked(model, ds, norm, { batchSize: 16 });
    expect(learned!.name).toBe('learned');
    expect(learned!.accuracy).toBeCloseTo(masked.accuracy, 10);
    expect(learned!.exitAccuracy).toEqual(masked.exitAccuracy);
    expect(learned!.meanCostFraction).toBeCloseTo(masked.meanCostFraction, 6);
    expect(learned!.meanCostFraction).toBeLessThan(0.99);

    const allOn = evaluateMasked(model, ds, norm, { batchSize: 16, gates: 'all-on' });
    expect(full!.accuracy).toBeCloseTo(allOn.accuracy, 10);
    expect(full!.meanCostFraction).toBeCloseTo(allOn.meanCostFraction, 6);
  });

  it('orders the cost of one block: off < on with learned channels < full width, learned in between', async () => {
    const variants = ['block3=off', 'block3=on', 'block3=full'].map((t) => parseAblationVariant(t, model));
    const [learned, off, on, full] = await evaluateAblations(model, ds, norm, variants);
    expect(off!.meanCostFraction).toBeLessThan(on!.meanCostFraction);
    expect(on!.meanCostFraction).toBeLessThan(full!.meanCostFraction);
    expect(learned!.meanCostFraction).toBeGreaterThanOrEqual(off!.meanCostFraction);
    expect(learned!.meanCostFraction).toBeLessThanOrEqual(on!.meanCostFraction);
    // An override after the last exit's block leaves the first exit's answers alone.
    expect(off!.exitAccuracy[0]).toBe(learned!.exitAccuracy[0]);
  });

  it('rejects bad overrides in one sentence naming the fix', () => {
    expect(() => parseAblationVariant('block5=sometimes', model)).toThrow(/write blockK=off, blockK=on or blockK=full/);
    expect(() => parseAblationVariant('block9=off', model)).toThrow(/block9 does not exist: this model has blocks 0–5/);
    // Block 0 and the downsampling blocks (2, 4: skipDownsampling false) have no layer gate.
    expect(() => parseAblationVariant('block2=off', model)).toThrow(/block2 has no layer gate.*blocks with one: 1, 3, 5/);
    expect(() => parseAblationVariant('block1=on,block1=off', model)).toThrow(/overridden twice/);
    expect(parseAblationVariant('block2=full,block5=off', model).overrides).toEqual(
      new Map([
        [2, 'full'],
        [5, 'off'],
      ]),
    );
  });
});
