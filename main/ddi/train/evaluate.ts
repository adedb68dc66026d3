/**
 * Evaluation with training semantics (masks on the full batch, BN moving statistics): top-1 of the
 * final classifier and of every exit, per-sample cost from the differentiable cost (exact for the
 * MAC table), layer-gate skip rates and kept-channel fractions. This is what training reports per
 * epoch; the `eval` command also runs the engine's real-skipping inference modes.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ImageDataset } from '../data/dataset';
import { macTable } from '../cost';
import { normalizeImages, type DdiModel, type InputNormalization } from '../model';
import { batchLabels, batchTensor } from './batches';

export interface MaskedEvalResult {
  n: number;
  /** Final-classifier top-1 in [0,1]. */
  accuracy: number;
  exitAccuracy: number[];
  /** Mean per-sample cost / full cost. */
  meanCostFraction: number;
  /** Per-sample cost in the table's unit (MACs by default). */
  costs: Float64Array;
  fullCost: number;
  /**
   * MACs of all exit heads together. The masked pass always computes every exit, but the engine's
   * static and iadi modes run none, so "static MACs" = fullCost − exitCost.
   */
  exitCost: number;
  /** gate id → mean decision (layer: fraction of samples running the block; channel: fraction of groups kept). */
  gateOnRate: Record<string, number>;
}

export function evaluateMasked(
  model: DdiModel,
  ds: ImageDataset,
  norm: InputNormalization,
  opts: { batchSize?: number; gates?: 'learned' | 'all-on'; limit?: number; onProgress?: (done: number, total: number) => void } = {},
): MaskedEvalResult {
  const bs = opts.batchSize ?? 250;
  const n = Math.min(ds.n, opts.limit ?? ds.n);
  let correct = 0;
  let exitCorrect: number[] = [];
  const costs = new Float64Array(n);
  let fullCost = 0;
  const gateSum: Record<string, number> = {};
  for (let start = 0; start < n; start += bs) {
    const idx = Array.from({ length: Math.min(bs, n - start) }, (_, i) => start + i);
    const labels = batchLabels(ds, idx);
    const outs = tf.tidy(() => {
      const x = normalizeImages(batchTensor(ds, idx), norm);
      const out = model.forwardTrain(x, { training: false, gates: opts.gates ?? 'learned' });
      return {
        pred: tf.argMax(out.logits, 1),
        exitPred: out.exitLogits.map((l) => tf.argMax(l, 1)),
        cost: out.cost,
        fullCost: out.fullCost,
        gates: out.gates.map((g) => ({ id: g.id, mean: tf.mean(g.decision, 1) })),
      };
    });
    const pred = outs.pred.dataSync();
    opts.onProgress?.(start + idx.length, n);
    for (let i = 0; i < idx.length; i++) if (pred[i] === labels[i]) correct++;
    if (exitCorrect.length === 0) exitCorrect = outs.exitPred.map(() => 0);
    outs.exitPred.forEach((p, e) => {
      const d = p.dataSync();
      for (let i = 0; i < idx.length; i++) if (d[i] === labels[i]) exitCorrect[e]!++;
    });
    costs.set(outs.cost.dataSync(), start);
    fullCost = outs.fullCost;
    for (const g of outs.gates) {
      const d = g.mean.dataSync();
      let s = 0;
      for (const v of d) s += v;
      gateSum[g.id] = (gateSum[g.id] ?? 0) + s;
    }
    tf.dispose([outs.pred, ...outs.exitPred, outs.cost, ...outs.gates.map((g) => g.mean)]);
  }
  let costSum = 0;
  for (const c of costs) costSum += c;
  const gateOnRate: Record<string, number> = {};
  for (const [k, v] of Object.entries(gateSum)) gateOnRate[k] = v / n;
  const table = macTable(model.layout);
  const exitCost = model.layout.exits.reduce((a, e) => a + (table.entries[e.id]?.fixed ?? 0), 0);
  return {
    n,
    exitCost,
    accuracy: correct / n,
    exitAccuracy: exitCorrect.map((c) => c / n),
    meanCostFraction: fullCost > 0 ? costSum / n / fullCost : 1,
    costs,
    fullCost,
    gateOnRate,
  };
}
