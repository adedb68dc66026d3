// Per-kernel cost of the training-speed kernels on wasm: forward conv vs stock and composed input
// gradient, composed filter gradient, stock vs tile-free BatchNorm gradient. Reports wall ms and
// CPU ms (process.cpuUsage) per call; CPU ms is the fairer number on a shared machine.
//   node .cache/build.mjs bench/training-kernels.ts .cache/tk.cjs && node .cache/tk.cjs
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { installFastBatchNormGrad, uninstallFastBatchNormGrad } from '../main/ddi/kernels/batchNormGrad';
import { installComposedInputGrad, uninstallComposedInputGrad } from '../main/ddi/kernels/conv2dBackpropInput';
import { prepareTraining } from '../main/ddi/train/setup';

function time(f: () => tf.Tensor | tf.Tensor[], reps = 4): { wall: number; cpu: number } {
  tf.dispose(f());
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) {
    const r = f();
    (Array.isArray(r) ? r : [r]).forEach((t) => t.dataSync());
    tf.dispose(r);
  }
  const c = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / reps, cpu: (c.user + c.system) / 1000 / reps };
}

const fmt = (t: { wall: number; cpu: number }) => `${t.wall.toFixed(1)} / ${t.cpu.toFixed(1)}`;

async function main(): Promise<void> {
  await tf.setBackend('wasm');
  prepareTraining();
  console.log('| Shape (x → filter, stride) | forward conv | input grad, stock | input grad, composed | filter grad, composed |');
  console.log('|---|---|---|---|---|');
  for (const [n, h, ci, co, s] of [
    [128, 28, 16, 16, 1],
    [128, 28, 16, 32, 2],
    [128, 14, 32, 32, 1],
    [128, 7, 64, 64, 1],
  ] as const) {
    const x = tf.randomNormal([n, h, h, ci]) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, ci, co]) as tf.Tensor4D;
    const y = tf.conv2d(x, w, s, 'same');
    const dy = tf.randomNormal(y.shape) as tf.Tensor4D;
    const fwd = time(() => tf.conv2d(x, w, s, 'same'));
    const dx = () => tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xx as tf.Tensor4D, w, s, 'same'), dy)))(x);
    uninstallComposedInputGrad(['wasm']);
    const stock = time(dx);
    installComposedInputGrad(['wasm']);
    const composed = time(dx);
    const dw = time(() => tf.grad((ww: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, ww as tf.Tensor4D, s, 'same'), dy)))(w));
    console.log(`| ${n}×${h}×${h}×${ci} → 3×3×${co}, s${s} | ${fmt(fwd)} | ${fmt(stock)} | ${fmt(composed)} | ${fmt(dw)} (incl. forward) |`);
    tf.dispose([x, w, y, dy]);
  }
  const x = tf.randomNormal([128, 28, 28, 16]) as tf.Tensor4D;
  const g = tf.ones([16]) as tf.Tensor1D;
  const b = tf.zeros([16]) as tf.Tensor1D;
  const bn = () =>
    tf.grads((xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => {
      const m = tf.moments(xx, [0, 1, 2]);
      return tf.sum(tf.square(tf.batchNorm4d(xx as tf.Tensor4D, m.mean as tf.Tensor1D, m.variance as tf.Tensor1D, bb as tf.Tensor1D, gg as tf.Tensor1D, 1e-5)));
    })([x, g, b]);
  uninstallFastBatchNormGrad();
  const bnStock = time(bn);
  installFastBatchNormGrad();
  const bnFast = time(bn);
  console.log(`\nTraining-mode BatchNorm forward+backward, 128×28×28×16: stock gradient ${fmt(bnStock)}, tile-free ${fmt(bnFast)} (wall / CPU ms)`);
}
void main();
