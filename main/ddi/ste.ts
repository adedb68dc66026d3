/**
 * Straight-through estimators for the gates' hard decisions (as in the DDI authors' released code,
 * github.com/slimwangyue/DDI `models_channel_skip_new_gate.py`: a hard 0.5 threshold on the sigmoid).
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
 * Beyond this logit (σ = 0.9975) a gate is saturated: the bounded logit STE stops pushing it further out.
 * Decisions flip at 0, so a larger |z| only makes the gate slower to move.
 */
export const LOGIT_STE_BOUND = 6;

/**
 * `hardGateFromLogitBounded(z)`: the logit STE, except that where |z| > LOGIT_STE_BOUND the gradient
 * component that would push z further from 0 is dropped; the one pulling it back passes. Why: the
 * gate's logit is bilinear in its two FC layers, so a push that never vanishes grows both layers
 * exponentially when it keeps coming. Measured on `densenet-ddi-50` (2026-11-26): its gate stage at a
 * 100 % target rewarded "on" on every batch in which any gate was off, and the first dense layer's
 * gate weights reached 2e10 in 235 steps; the joint stage's first step then sent gradients of 1e8–1e10
 * into the backbone and its second step's were NaN. A saturated gate still follows the cost term
 * towards 0 at full slope, which is what the logit STE is for.
 */
export const hardGateFromLogitBounded: (z: tf.Tensor) => tf.Tensor = tf.customGrad((...args) => {
  const z = args[0] as tf.Tensor;
  const save = args[args.length - 1] as (ts: tf.Tensor[]) => void;
  save([z]);
  const value = tf.cast(tf.greater(z, 0), 'float32');
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const zs = saved[0]!;
      // dy < 0 lowers the loss by raising z; drop that where z is already above the bound (and mirrored below).
      const outward = tf.logicalOr(
        tf.logicalAnd(tf.greater(zs, LOGIT_STE_BOUND), tf.less(dy, 0)),
        tf.logicalAnd(tf.less(zs, -LOGIT_STE_BOUND), tf.greater(dy, 0)),
      );
      return tf.where(outward, tf.zerosLike(dy), tf.mul(dy, LOGIT_STE_SLOPE));
    },
  };
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
export type GateGradient = 'sigmoid' | 'logit' | 'logit-bounded';
