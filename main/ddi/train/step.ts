/**
 * One optimisation step: forward with masks, DDI loss, gradients of the selected variable groups,
 * SGD update. Everything allocated here is freed before returning (asserted by the tests).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DdiModel, ForwardTrainOptions } from '../model';
import { ddiLoss, type LossConfig } from './loss';
import { softTargets, type DistillConfig } from './distill';
import { allFinite } from './finite';
import type { SgdMomentum } from './optimizer';

export type TrainGroup = 'backbone' | 'gates' | 'exits';

export interface StepResult {
  loss: number;
  finalCe: number;
  /** Correct final-classifier predictions in the batch. */
  correct: number;
  /** Achieved batch-mean cost as a fraction of the full cost. */
  costFraction: number;
  /**
   * Set when a gradient held NaN or ±Infinity: the variable's name. The update was not applied, so
   * the weights are those before the step. Checked every step because a NaN need not reach the loss
   * (see saveRun in trainer.ts).
   */
  nonFiniteGradient?: string;
  /** Global L2 norm of the gradients before clipping. */
  gradNorm: number;
}

export interface StepOptions {
  groups: TrainGroup[];
  lr: number;
  loss: LossConfig;
  gates: ForwardTrainOptions['gates'];
  /** Gate estimator (ste.ts); absent = 'sigmoid', the form of runs recorded before 2026-11-26. */
  gateGradient?: ForwardTrainOptions['gateGradient'];
  /** What the exits' losses train (model.ts); absent = 'backbone', the reference. */
  exitGradient?: ForwardTrainOptions['exitGradient'];
  /** Whether the gates' gradient reaches the backbone (model.ts); absent = 'backbone', the reference. */
  gateInput?: ForwardTrainOptions['gateInput'];
  /** Scale the gradients down so their global L2 norm is at most this; absent = no clipping. */
  clipNorm?: number;
  /** Distil from this teacher (distill.ts); absent = labels only. */
  teacher?: { model: DdiModel } & Pick<DistillConfig, 'temperature' | 'weight'>;
}

/** Name → variable for the trainable variables of `groups`. */
export function trainableByName(model: DdiModel, groups: TrainGroup[]): Map<string, tf.Variable> {
  const specs = model.specs.filter((s) => s.group !== 'stats' && groups.includes(s.group as TrainGroup));
  return new Map(specs.map((s) => [s.name, model.variable(s.name)]));
}

export function trainStep(
  model: DdiModel,
  opt: SgdMomentum,
  x: tf.Tensor4D,
  labels: Int32Array,
  o: StepOptions,
  vars: Map<string, tf.Variable> = trainableByName(model, o.groups),
): StepResult {
  const names = [...vars.keys()];
  const list = [...vars.values()];
  let finalCe = 0;
  let correct = 0;
  let achieved = 1;
  const y = tf.tensor1d(labels, 'int32');
  // Outside the gradient tape: the teacher is fixed, and its forward pass need not be recorded.
  const soft = o.teacher ? softTargets(o.teacher.model, x, o.teacher) : undefined;
  try {
    const { value, grads } = tf.tidy(() => {
      const f = () => {
        const out = model.forwardTrain(x, {
          training: true,
          gates: o.gates,
          gateGradient: o.gateGradient,
          exitGradient: o.exitGradient,
          gateInput: o.gateInput,
        });
        const parts = ddiLoss(out, y, soft ? { ...o.loss, distill: soft } : o.loss);
        finalCe = parts.finalCe.dataSync()[0] ?? NaN;
        achieved = parts.achieved;
        const pred = tf.argMax(out.logits, 1);
        correct = tf.sum(tf.cast(tf.equal(pred, y), 'int32')).dataSync()[0] ?? 0;
        return parts.total;
      };
      const r = tf.variableGrads(f, list);
      return { value: r.value, grads: r.grads };
    });
    const named: Record<string, tf.Tensor> = {};
    list.forEach((v, i) => {
      const g = grads[v.name];
      if (g) named[names[i]!] = g;
    });
    // One read of every gradient serves both the finiteness check and the norm.
    let sumSq = 0;
    let bad: string | undefined;
    for (const [n, g] of Object.entries(named)) {
      const d = g.dataSync();
      if (!allFinite(d)) {
        bad = n;
        break;
      }
      for (let i = 0; i < d.length; i++) sumSq += d[i]! * d[i]!;
    }
    const gradNorm = Math.sqrt(sumSq);
    if (bad === undefined) {
      const scale = o.clipNorm !== undefined && gradNorm > o.clipNorm ? o.clipNorm / gradNorm : 1;
      if (scale < 1) {
        const clipped: Record<string, tf.Tensor> = {};
        for (const [n, g] of Object.entries(named)) clipped[n] = tf.mul(g, scale);
        opt.step(vars, clipped, o.lr);
        tf.dispose(Object.values(clipped));
      } else opt.step(vars, named, o.lr);
    }
    const loss = value.dataSync()[0] ?? NaN;
    value.dispose();
    for (const g of Object.values(grads)) g.dispose();
    return { loss, finalCe, correct, costFraction: achieved, gradNorm, ...(bad !== undefined ? { nonFiniteGradient: bad } : {}) };
  } finally {
    y.dispose();
    soft?.probs.dispose();
  }
}
