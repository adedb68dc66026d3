import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DdiEngine } from '../../../main/ddi/engine';
import { loadDataset } from '../../../main/ddi/data/dataset';
import { datasetImages } from '../../../main/ddi/images';
import { inferInSlices } from '../../../main/cli/infer-progress';
import type { InferenceRecord } from '../../../main/ddi/types';
import { TINY_MODEL_DIR } from '../../helpers/fixture-models';

let engine: DdiEngine;
beforeAll(async () => {
  engine = await DdiEngine.create({ backend: 'wasm' });
  engine.loadModel(TINY_MODEL_DIR);
});
afterAll(() => engine?.dispose());

// Everything but the wall-clock fields.
const stable = (r: InferenceRecord) => {
  const { startNs: _s, endNs: _e, ...rest } = r;
  return rest;
};

describe('inferInSlices', () => {
  it('gives the records of one engine call, reporting after each slice of whole batches', () => {
    const ds = loadDataset('sample', 'test');
    const n = 23;
    const idx = Array.from({ length: n }, (_, i) => i);
    const images = datasetImages(ds, idx, engine.model.config.input);
    const opts = { mode: 'iadi' as const, batchSize: 4, labels: idx.map((i) => ds.labels[i]), datasetIndices: idx };
    const whole = engine.infer(images, n, opts);
    const reports: number[] = [];
    const sliced = inferInSlices(
      engine,
      images,
      n,
      opts,
      (recs, done) => {
        expect(recs.length).toBe(done - (reports.at(-1) ?? 0));
        reports.push(done);
      },
      10,
    );
    // A slice of 10 rounds up to 3 batches of 4.
    expect(reports).toEqual([12, 23]);
    expect(sliced.map(stable)).toEqual(whole.map(stable));
  });
});
