import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, describe, expect, it } from 'vitest';
import { inputGradPathCounts, installComposedInputGrad, uninstallComposedInputGrad } from '../../../../main/ddi/kernels/conv2dBackpropInput';
import { installFastBatchNormGrad, uninstallFastBatchNormGrad } from '../../../../main/ddi/kernels/batchNormGrad';

function det(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 0.5),
    shape,
  );
}

function maxRel(a: Float32Array, b: Float32Array): number {
  let scale = 1e-6;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs((a[i] ?? 0) - (b[i] ?? 0)) / scale);
  return e;
}

type Pad = 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]];
const convCases: { k: [number, number]; stride: number; pad: Pad; h: number }[] = [];
for (const k of [
  [1, 1],
  [3, 3],
  [5, 3],
] as [number, number][])
  for (const stride of [1, 2, 3])
    for (const pad of [
      'same',
      'valid',
      [
        [0, 0],
        [2, 0],
        [1, 1],
        [0, 0],
      ],
    ] as Pad[])
      for (const h of [7, 8]) convCases.push({ k, stride, pad, h });

function inputGrad(c: (typeof convCases)[number]): Float32Array {
  return tf.tidy(() => {
    const x = det([2, c.h, c.h + 1, 3], 1) as tf.Tensor4D;
    const f = det([c.k[0], c.k[1], 3, 4], 2) as tf.Tensor4D;
    const w = det(tf.conv2d(x, f, c.stride, c.pad).shape, 3);
    return tf
      .grad((xx: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xx as tf.Tensor4D, f, c.stride, c.pad), w)))(x)
      .dataSync() as Float32Array;
  });
}

/** Gradients of a training-mode BN (moments + batchNorm) w.r.t. x, gamma and beta. */
function bnGrads(): Float32Array[] {
  return tf.tidy(() => {
    const x = det([4, 5, 6, 3], 4) as tf.Tensor4D;
    const gamma = det([3], 5);
    const beta = det([3], 6);
    const w = det([4, 5, 6, 3], 7);
    const f = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => {
      const m = tf.moments(xx, [0, 1, 2]);
      return tf.sum(tf.mul(tf.batchNorm4d(xx as tf.Tensor4D, m.mean as tf.Tensor1D, m.variance as tf.Tensor1D, bb as tf.Tensor1D, gg as tf.Tensor1D, 1e-5), w));
    };
    return tf
      .grads(f)([x, gamma, beta])
      .map((g) => g.dataSync() as Float32Array);
  });
}

describe('training-speed kernels', () => {
  afterAll(() => {
    uninstallComposedInputGrad(['wasm', 'cpu']);
    uninstallFastBatchNormGrad();
  });

  it('composed Conv2DBackpropInput matches the stock kernel over strides 1-3, paddings and kernel sizes', async () => {
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      uninstallComposedInputGrad([backend]);
      const ref = convCases.map(inputGrad);
      installComposedInputGrad([backend]);
      const before = tf.memory().numTensors;
      inputGradPathCounts.fallback = 0;
      inputGradPathCounts.composed = 0;
      convCases.forEach((c, i) => expect(maxRel(inputGrad(c), ref[i]!), `${backend} ${JSON.stringify(c)}`).toBeLessThan(1e-5));
      expect(tf.memory().numTensors).toBe(before);
      expect(inputGradPathCounts).toEqual({ composed: convCases.length, fallback: 0 });
    }
  });

  it('the tile-free BatchNorm gradient matches the stock one for x, gamma and beta', async () => {
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      uninstallFastBatchNormGrad();
      const ref = bnGrads();
      installFastBatchNormGrad();
      const got = bnGrads();
      got.forEach((g, i) => expect(maxRel(g, ref[i]!), `${backend} grad ${i}`).toBeLessThan(1e-4));
    }
  });
});
