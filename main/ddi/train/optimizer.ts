/**
 * SGD with momentum and weight decay (PyTorch semantics: g' = g + wd·w; v = μ·v + g'; w -= lr·v),
 * written out instead of tf.train.momentum so the momentum buffers can be saved in a checkpoint
 * and restored exactly, and so weight decay can skip BN and bias vectors.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface SgdOptions {
  momentum: number;
  weightDecay: number;
  /**
   * Decay every parameter (true, as the DDI reference code does) or only kernels of rank ≥ 2
   * (false, default): decaying BN scales and biases of a small net only slows it down.
   */
  decayAll?: boolean;
}

export class SgdMomentum {
  private readonly buffers = new Map<string, tf.Variable>();

  constructor(readonly opts: SgdOptions) {}

  /** Applies one update to `vars` (name → variable) with gradients `grads` (same names). */
  step(vars: ReadonlyMap<string, tf.Variable>, grads: Record<string, tf.Tensor>, lr: number): void {
    const { momentum, weightDecay } = this.opts;
    for (const [name, w] of vars) {
      const g = grads[name];
      if (!g) continue;
      let buf = this.buffers.get(name);
      if (!buf) {
        buf = tf.variable(tf.zerosLike(w), false);
        this.buffers.set(name, buf);
      }
      const b = buf;
      const decay = weightDecay > 0 && (this.opts.decayAll === true || w.rank >= 2) ? weightDecay : 0;
      tf.tidy(() => {
        const gd = decay > 0 ? tf.add(g, tf.mul(w, decay)) : g;
        const nb = momentum > 0 ? tf.add(tf.mul(b, momentum), gd) : gd;
        b.assign(nb);
        w.assign(tf.sub(w, tf.mul(nb, lr)));
      });
    }
  }

  /** Momentum buffers by parameter name (copies), for checkpoints. */
  exportState(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const [name, b] of this.buffers) out.set(name, b.dataSync() as Float32Array);
    return out;
  }

  importState(state: ReadonlyMap<string, Float32Array>, shapes: ReadonlyMap<string, number[]>): void {
    this.dispose();
    for (const [name, values] of state) {
      const shape = shapes.get(name);
      if (!shape) throw new Error(`Checkpoint has momentum for unknown parameter ${name}.`);
      this.buffers.set(name, tf.variable(tf.tensor(values, shape, 'float32'), false));
    }
  }

  dispose(): void {
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
  }
}
