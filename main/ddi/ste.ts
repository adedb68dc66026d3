/**
 * Straight-through estimators for the gates' hard decisions (shared/reference/ddi.md §2.8).
 *
 * `hardThresholdSTE(p)`: the reference form. Forward 1 where p > 0.5, backward hands the incoming
 * gradient to p unchanged; p = sigmoid(z), so the logit z receives dy · σ'(z).
 *
 * `hardGateFromLogit(z)`: the same forward decision (z > 0 ⇔ σ(z) > 0.5), backward dy · ¼ on the
 * logit, i.e. σ'(0) everywhere. Why: σ'(z) vanishes for a confident gate, so a gate that learned
 * "always on" (the gate stage at a 100 % target drives every gate there) can no longer be moved by
 * the cost term. In the zoo's first layer-only run the joint stage sat at 100 % of the cost for
 * 100 steps with the reference form (2026-11-26). Near the threshold the two forms agree.
 */
import * as tf from '@tensorflow/tfjs-core';

export const hardThresholdSTE: (p: tf.Tensor) => tf.Tensor = tf.customGrad((...args) => {
  const p = args[0] as tf.Tensor;
  const value = tf.cast(tf.greater(p, 0.5), 'float32');
  return { value, gradFunc: (dy: tf.Tensor) => dy };
}) as (p: tf.Tensor) => tf.Tensor;

/** Slope of the logit STE: σ'(0). */
export const LOGIT_STE_SLOPE = 0.25;

export const hardGateFromLogit: (z: tf.Tensor) => tf.Tensor = tf.customGrad((...args) => {
  const z = args[0] as tf.Tensor;
  const value = tf.cast(tf.greater(z, 0), 'float32');
  return { value, gradFunc: (dy: tf.Tensor) => tf.mul(dy, LOGIT_STE_SLOPE) };
}) as (z: tf.Tensor) => tf.Tensor;

/**
 * Identity forward, zero gradient backward (tfjs-core has no stopGradient). Used to let the exits'
 * losses train only the exit heads: the backbone and the gates then learn from the final
 * classifier and the cost term alone (recipe field `exitGradient: 'heads'`).
 */
export const detachGradient: (t: tf.Tensor) => tf.Tensor = tf.customGrad((...args) => {
  const t = args[0] as tf.Tensor;
  return { value: tf.clone(t), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
}) as (t: tf.Tensor) => tf.Tensor;

/** Which estimator a training run uses (stored in its recipe; runs recorded before 2026-11-26 used 'sigmoid'). */
export type GateGradient = 'sigmoid' | 'logit';
