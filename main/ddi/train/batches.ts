/**
 * Turns uint8 images into float batches, with optional random-crop (zero padding, then a random
 * shift of up to `cropPad` pixels) and horizontal flip. Done in plain JS on the bytes: for 28×28
 * images this costs well under a millisecond per batch, far below one training step.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ImageDataset } from '../data/dataset';
import type { Rng } from './rng';

export interface AugmentConfig {
  /** Max shift in pixels of the random crop (0 = off). 2 suits 28×28 clothing images. */
  cropPad: number;
  /** Random horizontal flip: clothes are left/right symmetric, digits would not be. */
  flip: boolean;
}

export const NO_AUGMENT: AugmentConfig = { cropPad: 0, flip: false };

/** Pixels in [0,1], NHWC, for the dataset rows `indices`. */
export function batchPixels(ds: ImageDataset, indices: ArrayLike<number>, aug: AugmentConfig, rng?: Rng): Float32Array {
  const { height: H, width: W, channels: C } = ds;
  const per = H * W * C;
  const out = new Float32Array(indices.length * per);
  const inv = 1 / 255;
  for (let b = 0; b < indices.length; b++) {
    const src = (indices[b] ?? 0) * per;
    const dst = b * per;
    const dy = aug.cropPad > 0 && rng ? rng.int(2 * aug.cropPad + 1) - aug.cropPad : 0;
    const dx = aug.cropPad > 0 && rng ? rng.int(2 * aug.cropPad + 1) - aug.cropPad : 0;
    const flip = aug.flip && rng ? rng.next() < 0.5 : false;
    for (let y = 0; y < H; y++) {
      const sy = y + dy;
      if (sy < 0 || sy >= H) continue; // zero padding
      for (let x = 0; x < W; x++) {
        const sx0 = x + dx;
        if (sx0 < 0 || sx0 >= W) continue;
        const sx = flip ? W - 1 - sx0 : sx0;
        const s = src + (sy * W + sx) * C;
        const d = dst + (y * W + x) * C;
        for (let c = 0; c < C; c++) out[d + c] = (ds.images[s + c] ?? 0) * inv;
      }
    }
  }
  return out;
}

export function batchTensor(ds: ImageDataset, indices: ArrayLike<number>, aug: AugmentConfig = NO_AUGMENT, rng?: Rng): tf.Tensor4D {
  return tf.tensor4d(batchPixels(ds, indices, aug, rng), [indices.length, ds.height, ds.width, ds.channels]);
}

export function batchLabels(ds: ImageDataset, indices: ArrayLike<number>): Int32Array {
  const out = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = ds.labels[indices[i] ?? 0] ?? 0;
  return out;
}

/** Per-channel mean and std of the pixels in [0,1] (for the model's input normalisation). */
export function channelStats(ds: ImageDataset): { mean: number[]; std: number[] } {
  const C = ds.channels;
  const sum = new Float64Array(C);
  const sq = new Float64Array(C);
  for (let i = 0; i < ds.images.length; i++) {
    const v = (ds.images[i] ?? 0) / 255;
    sum[i % C]! += v;
    sq[i % C]! += v * v;
  }
  const n = ds.images.length / C;
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(sq, (s, c) => Math.sqrt(Math.max(1e-12, s / n - (mean[c] ?? 0) ** 2)));
  return { mean, std };
}
