/**
 * A FusedBatchNorm gradient without `tile`.
 *
 * Why: tfjs-core's stock gradient tiles 1/sqrt(var) to the full NHWC shape for dx; on wasm 4.22.0
 * Tile is slow (≈55 ms per 64×28×28×16 tensor, measured), and it was the second-largest cost of a
 * training step. Broadcasting multiplies give the same values. The per-channel gradients share
 * two reductions, Σdy and Σdy·(x−mean), instead of reducing four full-size products.
 *   y = (x − m)·r·γ + β, r = 1/sqrt(v + ε)
 *   dx = dy·r·γ;  dβ = Σdy;  dγ = r·Σdy(x−m);  dm = −r·γ·Σdy;  dv = −½·r³·γ·Σdy(x−m)
 */
import * as tf from '@tensorflow/tfjs-core';
import { FusedBatchNorm, getGradient, registerGradient, type GradConfig, type NamedAttrMap, type Tensor } from '@tensorflow/tfjs-core';

let stockGrad: GradConfig | undefined;
let installed = false;

const fastGrad: GradConfig = {
  kernelName: FusedBatchNorm,
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const g = dy as Tensor;
    const [x, mean, variance, scale] = saved as [Tensor, Tensor, Tensor, Tensor | undefined];
    const C = x.shape[x.rank - 1] ?? 0;
    // Only the common case (per-channel statistics over NHWC); anything else uses the stock gradient.
    if (mean.size !== C || mean.rank !== 1 || !stockGrad) {
      if (!stockGrad) throw new Error('Stock FusedBatchNorm gradient missing.');
      return stockGrad.gradFunc(dy, saved, attrs);
    }
    const eps = (attrs as { varianceEpsilon: number }).varianceEpsilon;
    const axes = [...Array(x.rank - 1).keys()];
    const gamma = scale ?? tf.onesLike(mean);
    const r = tf.rsqrt(tf.add(variance, eps));
    // Computed eagerly: the tape runs each closure in its own scope, so a value cached lazily
    // by one closure would be disposed before another reads it. Training needs all five anyway.
    const sDy = tf.sum(g, axes);
    const sDyXm = tf.sum(tf.mul(g, tf.sub(x, mean)), axes);
    return {
      x: () => tf.mul(g, tf.mul(r, gamma)),
      mean: () => tf.neg(tf.mul(tf.mul(r, gamma), sDy)),
      variance: () => tf.mul(tf.mul(tf.mul(tf.pow(r, 3), gamma), sDyXm), -0.5),
      scale: () => tf.mul(r, sDyXm),
      offset: () => tf.clone(sDy),
    };
  },
};

/** Overrides the FusedBatchNorm gradient (call after tfjs-core's gradients are registered). */
export function installFastBatchNormGrad(): void {
  if (installed) return;
  stockGrad = getGradient(FusedBatchNorm);
  if (!stockGrad) throw new Error('Register tfjs-core gradients before installing the fast BatchNorm gradient.');
  registerGradient(fastGrad); // replaces the stock entry (tfjs warns only in DEBUG mode)
  installed = true;
}

/** Restores tfjs-core's gradient (used by the reference test). */
export function uninstallFastBatchNormGrad(): void {
  if (!installed || !stockGrad) return;
  registerGradient(stockGrad);
  installed = false;
}
