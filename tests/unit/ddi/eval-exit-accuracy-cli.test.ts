/**
 * `ddi-profiler eval` reports every exit's accuracy on every image from the engine's runtime: on 300
 * sample images (two engine calls of the CLI's slicing, so rows count on across them) its
 * exitAccuracy equals the masked training-path pass that eval ran before, for a mode without a budget
 * (measured in the mode's own pass) and for ddi under a budget (a second pass in iadi), on ONNX Runtime.
 * Needs the built CLI (npm run build:main).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { runCli } from '../../helpers/cli';
import { loadModel, modelNormalization, readModelFile } from '../../../main/ddi/io';
import { loadDataset } from '../../../main/ddi/data/dataset';
import { evaluateMasked } from '../../../main/ddi/train/evaluate';
import { initBackend } from '../../../main/ddi/backend';
import { loadOrtBinding } from '../../../main/ddi/runtime/ort-binding';
import type { DdiModel } from '../../../main/ddi/model';

const N = 300;
const DIR = join('data/models', 'mgl2s-50');
const ort = loadOrtBinding();
if (!ort.ok) console.warn(`eval-exit-accuracy-cli: skipped, onnxruntime-node is not available (${ort.reason})`);

let model: DdiModel;
beforeAll(async () => {
  await initBackend('wasm', { strict: true });
  model = loadModel(DIR).model;
});
afterAll(() => model?.dispose());

describe.skipIf(!ort.ok)(`eval's per-exit accuracy on ${N} sample images equals the masked pass`, () => {
  const masked = () => {
    const r = evaluateMasked(model, loadDataset('sample', 'test'), modelNormalization(readModelFile(DIR))!, { gates: 'learned', limit: N });
    return [...r.exitAccuracy.map((a, i) => ({ exit: `exit${i}`, accuracy: a })), { exit: 'classifier', accuracy: r.accuracy }];
  };

  it('iadi (the mode pass itself) and ddi under a budget (a second, unbudgeted pass)', () => {
    const expected = masked();
    for (const extra of [
      ['--mode', 'iadi'],
      ['--mode', 'ddi', '--budget', '12MMAC'],
    ]) {
      const r = runCli(['eval', '--model', 'mgl2s-50', '--dataset', 'sample', '--limit', String(N), '--json', '--backend', 'ort', ...extra]);
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as { n: number; mode: string; exitAccuracy: { exit: string; accuracy: number }[] };
      expect(report.n).toBe(N);
      expect(report.mode).toBe(extra[1]);
      expect(report.exitAccuracy).toEqual(expected);
    }
  });
});
