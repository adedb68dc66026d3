/**
 * The ONNX Runtime executor computes what the tfjs runtime computes: for every shipped model in
 * every mode, on the shipped Fashion-MNIST sample, the same classes, logits within 1e-4, the same
 * exits, executed / skipped / unreached units, kept channels and MACs. The normal suite runs the
 * first 100 images at batch 32 and 25 at batch 1; DDI_FULL=1 runs all 1000 at both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { DdiEngine } from '../../../main/ddi/engine';
import { loadDataset } from '../../../main/ddi/data/dataset';
import { datasetImages } from '../../../main/ddi/images';
import { loadOrtBinding } from '../../../main/ddi/runtime/ort-binding';
import type { Budget, InferenceMode, InferenceRecord } from '../../../main/ddi/types';

const FULL = process.env.DDI_FULL === '1';
const N = FULL ? 1000 : 100;
const MODELS = readdirSync('data/models').filter((d) => existsSync(join('data/models', d, 'model.json')));
const ort = loadOrtBinding();
if (!ort.ok) console.warn(`ort-equivalence: skipped, onnxruntime-node is not available (${ort.reason})`);

let tfjs: DdiEngine;
let onnx: DdiEngine;
beforeAll(async () => {
  tfjs = await DdiEngine.create({ backend: 'wasm', strict: true });
  if (ort.ok) onnx = await DdiEngine.create({ backend: 'ort', strict: true });
});
afterAll(() => {
  tfjs?.dispose();
  onnx?.dispose();
});

function compare(a: InferenceRecord[], b: InferenceRecord[]): number {
  expect(b.length).toBe(a.length);
  let worst = 0;
  a.forEach((r, i) => {
    const o = b[i]!;
    const where = `image ${r.datasetIndex}`;
    expect(o.predictedClass, where).toBe(r.predictedClass);
    expect(o.exitId, where).toBe(r.exitId);
    expect(o.blocksExecuted, where).toEqual(r.blocksExecuted);
    expect(o.blocksSkipped, where).toEqual(r.blocksSkipped);
    expect(o.blocksNotReached, where).toEqual(r.blocksNotReached);
    expect(o.channelsKept, where).toEqual(r.channelsKept);
    expect(o.macs, where).toBe(r.macs);
    for (let k = 0; k < r.logits.length; k++) worst = Math.max(worst, Math.abs(r.logits[k]! - o.logits[k]!));
  });
  return worst;
}

describe.skipIf(!ort.ok)(`ONNX Runtime executor equals the tfjs runtime on ${N} sample images`, () => {
  const ds = loadDataset('sample', 'test');
  const indices = Array.from({ length: N }, (_, i) => i);
  for (const name of MODELS) {
    it(
      `${name}: static, iadi, radi and ddi (MAC budgets), batch 32 and 1`,
      () => {
        const dir = join('data/models', name);
        const info = tfjs.loadModel(dir);
        onnx.loadModel(dir);
        expect(onnx.backendInfo().name).toBe('ort');
        const images = datasetImages(ds, indices, info.input);
        const labels = indices.map((i) => ds.labels[i]);
        const runs: { mode: InferenceMode; budget?: Budget; batchSize: number }[] = [];
        for (const batchSize of [32, 1]) {
          runs.push({ mode: 'static', batchSize }, { mode: 'iadi', batchSize });
          for (const mode of ['radi', 'ddi'] as const) {
            const min = tfjs.minimumBudget('macs', mode);
            for (const f of [1, 1.6])
              runs.push({ mode, budget: { kind: 'macs', value: Math.min(min * f, info.backboneMacs + info.gateMacs + info.exitMacs) }, batchSize });
          }
        }
        const lines: string[] = [];
        for (const r of runs) {
          // Batch 1 (the profiler's) on a quarter of the images in the normal suite: the two cores are shared.
          const n = r.batchSize === 1 && !FULL ? N / 4 : N;
          const opts = { mode: r.mode, budget: r.budget ?? null, batchSize: r.batchSize, labels, datasetIndices: indices };
          const a = tfjs.infer(images.subarray(0, (images.length / N) * n), n, opts);
          const b = onnx.infer(images.subarray(0, (images.length / N) * n), n, opts);
          expect(b[0]!.backend).toMatch(/^ort \d+\.\d+\.\d+$/);
          const worst = compare(a, b);
          expect(worst).toBeLessThanOrEqual(1e-4);
          lines.push(`${r.mode}${r.budget ? ` ${(r.budget.value / 1e6).toFixed(2)}M` : ''} b${r.batchSize}: max |Δlogit| ${worst.toExponential(1)}`);
        }
        console.log(`${name}: ${lines.join('; ')}`);
      },
      FULL ? 900_000 : 300_000,
    ); // two runtimes × 24 runs on a shared 2-core machine
  }
});
