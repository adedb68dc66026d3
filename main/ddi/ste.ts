/**
 * Straight-through estimator on a hard 0.5 threshold: the forward value is the 0/1 decision
 * (1 where p > 0.5), the backward pass hands the incoming gradient to p unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';

export const hardThresholdSTE: (p: tf.Tensor) => tf.Tensor = tf.customGrad((...args) => {
  const p = args[0] as tf.Tensor;
  const value = tf.cast(tf.greater(p, 0.5), 'float32');
  return { value, gradFunc: (dy: tf.Tensor) => dy };
}) as (p: tf.Tensor) => tf.Tensor;
