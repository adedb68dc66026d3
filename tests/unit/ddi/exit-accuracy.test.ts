/**
 * Every exit on every image through the engine's runtime (exit-accuracy.ts) gives, image by image,
 * the answers of the masked tfjs pass that eval used before (forwardTrain: every exit on the full
 * batch, learned or all-on gates), on ONNX Runtime and on the tfjs runtime, for a ResNet with both
 * gate kinds and the DenseNet; and the tally refuses what would make its accuracies wrong.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { DdiEngine } from '../../../main/ddi/engine';
import { loadDataset } from '../../../main/ddi/data/dataset';
import { datasetImages } from '../../../main/ddi/images';
import { normalizeImages, type DdiModel, type InputNormalization } from '../../../main/ddi/model';
import { modelNormalization, readModelFile } from '../../../main/ddi/io';
import { batchTensor } from '../../../main/ddi/train/batches';
import { ExitTally, exitPassMode } from '../../../main/ddi/exit-accuracy';
import { loadOrtBinding } from '../../../main/ddi/runtime/ort-binding';
import type { BackendName } from '../../../main/ddi/backend';

const N = 64;
const ds = loadDataset('sample', 'test');
const indices = Array.from({ length: N }, (_, i) => i);
const labels = indices.map((i) => ds.labels[i]!);
const ort = loadOrtBinding();
if (!ort.ok) console.warn(`exit-accuracy: the ort rows are skipped, onnxruntime-node is not available (${ort.reason})`);

/** Per exit (then the classifier), per image: the masked training-path pass's top-1 class. */
function maskedPredictions(model: DdiModel, norm: InputNormalization, gates: 'learned' | 'all-on'): number[][] {
  return tf.tidy(() => {
    const out = model.forwardTrain(normalizeImages(batchTensor(ds, indices), norm), { training: false, gates });
    return [...out.exitLogits, out.logits].map((l) => Array.from(tf.argMax(l, 1).dataSync()));
  });
}

const engines = new Map<BackendName, DdiEngine>();
beforeAll(async () => {
  engines.set('wasm', await DdiEngine.create({ backend: 'wasm', strict: true }));
  if (ort.ok) engines.set('ort', await DdiEngine.create({ backend: 'ort', strict: true }));
});
afterAll(() => {
  for (const e of engines.values()) e.dispose();
});

// gates: what the masked pass ran for that eval mode (learned gates for gated modes, all on otherwise).
const cases = [
  { model: 'mgl2s-50', mode: 'ddi' as const, gates: 'learned' as const },
  { model: 'mgl2s-50', mode: 'radi' as const, gates: 'all-on' as const },
  { model: 'densenet-ddi-50', mode: 'iadi' as const, gates: 'learned' as const },
];

describe(`every exit on every image equals the masked pass on ${N} sample images`, () => {
  for (const backend of ['ort', 'wasm'] as const) {
    for (const c of cases) {
      it.skipIf(backend === 'ort' && !ort.ok)(`${c.model}, ${c.mode} on ${backend}`, () => {
        const engine = engines.get(backend)!;
        const dir = join('data/models', c.model);
        const info = engine.loadModel(dir);
        const model = engine.model;
        const mode = exitPassMode(c.mode);
        const tally = new ExitTally(labels, info.exits, info.numClasses);
        // Batches of 24: the last one is partial, so row offsets between calls are exercised too.
        const recs = engine.infer(datasetImages(ds, indices, info.input), N, { mode, batchSize: 24, everyExit: tally.onExit });
        tally.addRecords(recs, 0);
        if (c.gates === 'learned') {
          // The gates did skip work on some images, so the pass ran partial units, not only full ones.
          expect(recs.some((r) => r.blocksSkipped.length > 0 || r.channelsKept.some((k) => k.kept < k.total))).toBe(true);
        }
        const expected = maskedPredictions(model, modelNormalization(readModelFile(dir))!, c.gates);
        expect(tally.predictions.map((p) => Array.from(p))).toEqual(expected.slice(0, -1));
        expect(Array.from(tally.classifier)).toEqual(expected.at(-1));
        const acc = (pred: number[]) => pred.filter((p, i) => p === labels[i]).length / N;
        expect(tally.result()).toEqual({ exitAccuracy: expected.slice(0, -1).map(acc), accuracy: acc(expected.at(-1)!) });
        // Exits answer differently from each other, so a head swapped for another would be seen.
        expect(new Set(expected.map((p) => p.join(','))).size).toBe(expected.length);
      });
    }
  }
});

describe('ExitTally', () => {
  it('refuses a pass that missed an image, or answered from an exit', () => {
    const tally = new ExitTally([1, 2], 1, 3);
    tally.onExit(0, [0], new Float32Array([0, 1, 0]));
    expect(() => tally.result()).toThrow(/exit0 never saw image 1/);
    const rec = { exit: 0, predictedClass: 1 } as Parameters<ExitTally['addRecords']>[0][number];
    expect(() => tally.addRecords([rec], 0)).toThrow(/answered from exit 0/);
  });

  it('takes a budgeted mode to its unbudgeted form, and the engine refuses every exit under a budget', () => {
    expect([exitPassMode('ddi'), exitPassMode('iadi'), exitPassMode('radi'), exitPassMode('static')]).toEqual(['iadi', 'iadi', 'static', 'static']);
    const engine = engines.get('wasm')!;
    const info = engine.loadModel(join('data/models', 'mgl2s-50'));
    const tally = new ExitTally(labels.slice(0, 2), info.exits, info.numClasses);
    const budget = { kind: 'macs' as const, value: info.backboneMacs };
    expect(() => engine.infer(datasetImages(ds, [0, 1], info.input), 2, { mode: 'ddi', budget, everyExit: tally.onExit })).toThrow(
      /everyExit needs a mode without a budget/,
    );
  });
});
