/**
 * Every trained model shipped in data/models/ loads and reaches, on the shipped 1000-image
 * sample, the accuracy its card documents (±1.5 points; the card's value is measured by the
 * same masked evaluation, so a larger gap means the weights or the code changed).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../../../main/ddi/data/dataset';
import { modelsDir } from '../../../../main/ddi/data/paths';
import { loadModel } from '../../../../main/ddi/io';
import { evaluateMasked } from '../../../../main/ddi/train/evaluate';

interface Documented {
  dir: string;
  accuracy: number;
  gates: 'learned' | 'all-on';
}

function documentedModels(): Documented[] {
  const root = modelsDir();
  if (!existsSync(root)) return [];
  const out: Documented[] = [];
  for (const name of readdirSync(root).sort()) {
    const file = join(root, name, 'model.json');
    if (!existsSync(file)) continue;
    const json = JSON.parse(readFileSync(file, 'utf8')) as {
      training?: { evaluations?: { dataset: string; accuracy: number; gates?: 'learned' | 'all-on' }[] };
    };
    const ev = json.training?.evaluations?.find((e) => e.dataset === 'sample');
    if (ev) out.push({ dir: join(root, name), accuracy: ev.accuracy, gates: ev.gates ?? 'learned' });
  }
  return out;
}

const models = documentedModels();

beforeAll(async () => {
  await tf.setBackend('wasm');
});

describe('shipped models', () => {
  it('at least one trained model with a documented sample accuracy is shipped', () => {
    expect(models.map((m) => m.dir).length).toBeGreaterThan(0);
  });

  for (const m of models) {
    it(`${m.dir} reaches its documented sample accuracy (${(100 * m.accuracy).toFixed(2)} % ± 1.5)`, () => {
      const loaded = loadModel(m.dir);
      try {
        const norm = loaded.metadata.normalization;
        expect(norm, 'model.json stores the input normalisation').toBeDefined();
        const ev = evaluateMasked(loaded.model, loadDataset('sample', 'test'), norm!, { gates: m.gates });
        expect(Math.abs(ev.accuracy - m.accuracy)).toBeLessThanOrEqual(0.015);
      } finally {
        loaded.model.dispose();
      }
    });
  }
});
