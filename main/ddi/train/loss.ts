/**
 * The DDI training loss (Wang et al., arXiv 1907.04523; the form of the authors' released code,
 * github.com/slimwangyue/DDI `train_base_channel_skip_new_gate.py`):
 *   L = CE(final) + w_exit · Σ_exits CE(exit) + s · β · cost,  s = +1 above the target, −1 at or below.
 * `cost` here is the batch mean of per-sample cost / full cost (a fraction in [0, 1]) rather than
 * the reference code's unnormalised batch sum, so one β works for any batch size, model and cost
 * table. The sign is decided on the batch's achieved fraction, a bang-bang controller that makes
 * the *average* cost track the target.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardTrainResult } from '../model';
import { distillationLoss, type SoftTargets } from './distill';

/** Mean softmax cross-entropy of logits [B, K] against integer labels. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const k = logits.shape[1];
    const oneHot = tf.oneHot(labels, k);
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1))) as tf.Scalar;
  });
}

export interface CostTermConfig {
  /** Target computation as a fraction of the full cost, in (0, 1]. 1 = no pressure to skip. */
  target: number;
  /** Weight β of the sign-switching term. */
  beta: number;
  /**
   * The reference rule rewards compute whenever the batch is at or below the target, so at a
   * 100 % target a batch running everything is still rewarded and the gates are driven ever more
   * confidently "on", without bound. false (recipes from 2026-11-26 on): no term once a batch
   * runs everything at a 100 % target; below it, the reward pulls gates back on as before.
   */
  rewardAtFullTarget?: boolean;
}

/** Sign of the cost term for a batch with achieved fraction `achieved` (0 = no term). */
export function costSign(achieved: number, target: number, rewardAtFullTarget = true): 1 | 0 | -1 {
  // Tolerance: the fraction is a float32 ratio that lands a few ulps below 1 when everything runs;
  // the cheapest real saving (one channel group) is orders of magnitude larger.
  if (!rewardAtFullTarget && target >= 1 && achieved >= 1 - 1e-4) return 0;
  return achieved > target ? 1 : -1;
}

export interface LossParts {
  total: tf.Scalar;
  finalCe: tf.Scalar;
  exitCe: tf.Scalar[];
  /** Differentiable batch-mean cost fraction. */
  costFraction: tf.Scalar;
}

export interface LossConfig {
  exitWeight: number;
  cost?: CostTermConfig;
  /** The teacher's softened outputs for this batch (distill.ts); absent = no distillation. */
  distill?: SoftTargets;
}

/**
 * Builds the loss from a forward pass. The sign needs the achieved fraction, read back from the
 * forward's cost (cheap on cpu/wasm: one scalar); `achieved` is returned for logging.
 */
export function ddiLoss(out: ForwardTrainResult, labels: tf.Tensor1D, cfg: LossConfig): LossParts & { achieved: number } {
  const finalCe = crossEntropy(out.logits, labels);
  const exitCe = out.exitLogits.map((l) => crossEntropy(l, labels));
  const costFraction = tf.div(tf.mean(out.cost), out.fullCost) as tf.Scalar;
  const achieved = costFraction.dataSync()[0] ?? 1;
  let total: tf.Scalar = finalCe;
  if (exitCe.length > 0 && cfg.exitWeight > 0) total = tf.add(total, tf.mul(tf.addN(exitCe), cfg.exitWeight)) as tf.Scalar;
  const d = cfg.distill;
  if (d && d.weight > 0) {
    let kd: tf.Scalar = distillationLoss(out.logits, d);
    if (out.exitLogits.length > 0 && cfg.exitWeight > 0)
      kd = tf.add(kd, tf.mul(tf.addN(out.exitLogits.map((l) => distillationLoss(l, d))), cfg.exitWeight)) as tf.Scalar;
    total = tf.add(total, tf.mul(kd, d.weight)) as tf.Scalar;
  }
  if (cfg.cost && cfg.cost.beta > 0) {
    const s = costSign(achieved, cfg.cost.target, cfg.cost.rewardAtFullTarget);
    if (s !== 0) total = tf.add(total, tf.mul(costFraction, s * cfg.cost.beta)) as tf.Scalar;
  }
  return { total, finalCe, exitCe, costFraction, achieved };
}
