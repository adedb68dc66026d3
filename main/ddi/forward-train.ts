/**
 * The differentiable training forward pass (`DdiModel.forwardTrain`): masks on the full batch, STE
 * gates, every exit's logits and a per-sample cost. One `TrainingPass` per call holds what the units
 * thread through (activations, the gates' LSTM state, which DenseNet channels each sample has, the
 * cost so far); each unit kind is one method.
 */
import * as tf from '@tensorflow/tfjs-core';
import { groupSizes, type Layout, type TrunkUnit } from './layout';
import { macTable, shortcutId, type CostTable, type UnitCost } from './cost';
import { detachGradient, hardGateFromLogit, hardGateFromLogitBounded, hardThresholdSTE } from './ste';
import type { ModelConfig } from './config';
import type { ForwardTrainOptions, ForwardTrainResult, GateOutput, GatePattern } from './model';

export const BN_EPSILON = 1e-5;
/** Weight of the current batch in the moving BN statistics (PyTorch momentum 0.1). */
export const BN_MOMENTUM = 0.1;

/** What a pass needs of the model: its description and its variables by name. */
export interface PassModel {
  readonly config: ModelConfig;
  readonly layout: Layout;
  variable(name: string): tf.Variable;
}

/** A gated unit's decisions as masks: layer gate [B,1]; channel gate per group and per channel. */
interface UnitMasks {
  layer: tf.Tensor2D | null;
  /** Channels kept per sample [B] and whether any was [B] (channel-gated units only). */
  keptCount: tf.Tensor1D | null;
  any: tf.Tensor1D | null;
  /** Per-channel 0/1 [B, C] and the same shaped for NHWC [B,1,1,C]. */
  chanRows: tf.Tensor2D | null;
  chanMask: tf.Tensor4D | null;
}

export class TrainingPass {
  private readonly cfg: ModelConfig;
  private readonly lay: Layout;
  private readonly B: number;
  private readonly training: boolean;
  private readonly update: boolean;
  private readonly table: CostTable;
  private readonly gates: GateOutput[] = [];
  private readonly exitLogits: tf.Tensor2D[] = [];
  /** Cost every sample pays, the cost with every unit on at full width, and the sample-dependent part [B]. */
  private constCost = 0;
  private fullCost = 0;
  private varCost: tf.Tensor1D | null = null;
  private lstmH: tf.Tensor2D;
  private lstmC: tf.Tensor2D;
  private t: tf.Tensor4D;
  /** DenseNet: which samples have each channel of t (null = all of them); see bn(). */
  private present: tf.Tensor2D | null = null;

  constructor(
    private readonly model: PassModel,
    x: tf.Tensor4D,
    private readonly opts: ForwardTrainOptions,
  ) {
    this.cfg = model.config;
    this.lay = model.layout;
    this.B = x.shape[0];
    const input = this.cfg.input;
    if (x.shape[1] !== input.height || x.shape[2] !== input.width || x.shape[3] !== input.channels) {
      throw new Error(`Input shape [${x.shape.join(',')}] does not match the model input ${input.height}×${input.width}×${input.channels}.`);
    }
    if (opts.forced && opts.forced.length !== this.B) throw new Error(`forced has ${opts.forced.length} patterns for a batch of ${this.B}.`);
    this.training = opts.training ?? true;
    this.update = opts.updateStats ?? this.training;
    this.table = opts.costTable ?? macTable(this.lay);
    const h = this.cfg.gates.layerHidden;
    this.lstmH = tf.zeros([this.B, h]);
    this.lstmC = tf.zeros([this.B, h]);
    this.t = x;
  }

  run(): ForwardTrainResult {
    const trunk = this.lay.trunk;
    for (let ti = 0; ti < trunk.length; ti++) {
      const u = trunk[ti]!;
      const info = this.entry(u.id);
      const full = info.fixed + info.anyChannel + info.perChannel * unitChannels(u);
      this.fullCost += full;
      if (u.kind === 'stem') this.stem(full);
      else if (u.kind === 'transition') this.transition(u, full);
      else this.gatedUnit(u, info, full);
      for (const e of this.lay.exits) if (e.afterTrunk === ti) this.exitHead(e.id);
    }
    return this.classifier();
  }

  private stem(full: number): void {
    const y = this.conv('stem/conv', this.t);
    this.t = this.cfg.kind === 'resnet' ? (tf.relu(this.bn('stem/bn', y)) as tf.Tensor4D) : y;
    this.constCost += full;
  }

  private transition(u: TrunkUnit, full: number): void {
    const y = this.conv(`${u.id}/conv`, tf.relu(this.bn(`${u.id}/bn`, this.t, this.present)) as tf.Tensor4D);
    this.t = tf.avgPool(y, 2, 2, 'valid');
    this.present = null;
    this.constCost += full;
  }

  /** A ResNet block or DenseNet layer with its gates (if any): decisions, their cost, then the unit. */
  private gatedUnit(u: TrunkUnit, info: UnitCost, full: number): void {
    const gated = u.layerGated || u.groups > 0;
    const pooled = gated ? (this.opts.gateInput === 'detached' ? (detachGradient(gap(this.t)) as tf.Tensor2D) : gap(this.t)) : null;
    const masks = this.unitMasks(u, pooled);
    this.chargeUnit(u, info, full, masks);
    if (u.kind === 'block') this.resnetBlock(u, masks);
    else this.denseLayer(u, masks);
  }

  /** Runs the unit's gates and charges them: a layer gate always runs, a channel gate only when the block does. */
  private unitMasks(u: TrunkUnit, pooled: tf.Tensor2D | null): UnitMasks {
    const B = this.B;
    const m: UnitMasks = { layer: null, keptCount: null, any: null, chanRows: null, chanMask: null };
    if (u.layerGated) {
      m.layer = this.layerGate(u, pooled!);
      const gc = this.entry(`gate.layer${u.layer}`);
      this.fullCost += gc.fixed;
      this.constCost += gc.fixed;
    }
    if (u.groups > 0) {
      const mC = this.channelGate(u, pooled!);
      const gc = this.entry(`gate.channel${u.layer}`);
      this.fullCost += gc.fixed;
      if (m.layer) this.addVar(tf.mul(tf.reshape(m.layer, [B]), gc.fixed) as tf.Tensor1D);
      else this.constCost += gc.fixed;
      const sizes = groupSizes(u.gatedChannels, this.cfg.gates.groupSize);
      m.keptCount = tf.reshape(tf.matMul(mC, tf.tensor2d(sizes, [sizes.length, 1])), [B]) as tf.Tensor1D;
      m.any = tf.max(mC, 1) as tf.Tensor1D;
      m.chanRows = tf.matMul(mC, expansionMatrix(u.gatedChannels, this.cfg.gates.groupSize)) as tf.Tensor2D;
      m.chanMask = tf.reshape(m.chanRows, [B, 1, 1, u.gatedChannels]) as tf.Tensor4D;
    }
    return m;
  }

  /** Cost of the unit itself: mL · (fixed + anyChannel·any + perChannel·kept), plus a skipped block's projection. */
  private chargeUnit(u: TrunkUnit, info: UnitCost, full: number, m: UnitMasks): void {
    const B = this.B;
    if (!m.layer && !m.keptCount) {
      this.constCost += full;
      return;
    }
    let c: tf.Tensor1D = m.keptCount
      ? (tf.add(tf.add(tf.mul(m.any!, info.anyChannel), tf.mul(m.keptCount, info.perChannel)), info.fixed) as tf.Tensor1D)
      : (tf.fill([B], full) as tf.Tensor1D);
    if (m.layer) c = tf.mul(c, tf.reshape(m.layer, [B])) as tf.Tensor1D;
    this.addVar(c);
    // A skipped downsampling block still pays for its projection shortcut.
    if (m.layer && u.projection) this.addVar(tf.mul(tf.sub(1, tf.reshape(m.layer, [B])), this.entry(shortcutId(u.id)).fixed) as tf.Tensor1D);
  }

  private resnetBlock(u: TrunkUnit, m: UnitMasks): void {
    const t = this.t;
    let a = tf.relu(this.bn(`${u.id}/bn1`, this.conv(`${u.id}/conv1`, t, u.stride))) as tf.Tensor4D;
    if (m.chanMask) a = tf.mul(a, m.chanMask) as tf.Tensor4D;
    const y = this.bn(`${u.id}/bn2`, this.conv(`${u.id}/conv2`, a));
    const sc = u.projection ? this.bn(`${u.id}/projbn`, this.conv(`${u.id}/proj`, t, u.stride)) : t;
    let out = tf.relu(tf.add(y, sc)) as tf.Tensor4D;
    if (m.layer) {
      const m4 = tf.reshape(m.layer, [this.B, 1, 1, 1]);
      out = tf.add(tf.mul(out, m4), tf.mul(sc, tf.sub(1, m4))) as tf.Tensor4D;
    }
    this.t = out;
  }

  private denseLayer(u: TrunkUnit, m: UnitMasks): void {
    const t = this.t;
    const a = tf.relu(this.bn(`${u.id}/bn1`, t, this.present)) as tf.Tensor4D;
    const b = tf.relu(this.bn(`${u.id}/bn2`, this.conv(`${u.id}/conv1`, a))) as tf.Tensor4D;
    let nw = this.conv(`${u.id}/conv2`, b);
    if (m.chanMask) nw = tf.mul(nw, m.chanMask) as tf.Tensor4D;
    if (this.present || m.chanRows) {
      this.present = tf.concat([this.present ?? tf.ones([this.B, t.shape[3]]), m.chanRows ?? tf.ones([this.B, nw.shape[3]])], 1) as tf.Tensor2D;
    }
    this.t = tf.concat([t, nw], 3);
  }

  private exitHead(id: string): void {
    const src = this.opts.exitGradient === 'heads' ? (detachGradient(this.t) as tf.Tensor4D) : this.t;
    const y = tf.relu(this.bn(`${id}/bn`, this.conv(`${id}/conv`, src, 2))) as tf.Tensor4D;
    this.exitLogits.push(this.fc(`${id}/fc`, gap(y)));
    const ec = this.entry(id).fixed;
    this.constCost += ec;
    this.fullCost += ec;
  }

  private classifier(): ForwardTrainResult {
    let f = this.t;
    if (this.cfg.kind === 'densenet') f = tf.relu(this.bn('classifier/bn', f, this.present)) as tf.Tensor4D;
    const logits = this.fc('classifier/fc', gap(f));
    const cc = this.entry('classifier').fixed;
    this.constCost += cc;
    this.fullCost += cc;
    const cost = this.varCost ? (tf.add(this.varCost, this.constCost) as tf.Tensor1D) : (tf.fill([this.B], this.constCost) as tf.Tensor1D);
    return { exitLogits: this.exitLogits, logits, gates: this.gates, cost, fullCost: this.fullCost };
  }

  private layerGate(u: TrunkUnit, pooled: tf.Tensor2D): tf.Tensor2D {
    const e = this.fc(`gate/layer/proj${u.layerGateProj}`, pooled);
    const z = tf.add(tf.matMul(tf.concat([e, this.lstmH], 1), this.v('gate/layer/lstm/kernel') as tf.Tensor2D), this.v('gate/layer/lstm/bias')) as tf.Tensor2D;
    const [i, f, g, o] = tf.split(z, 4, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    this.lstmC = tf.add(tf.mul(tf.sigmoid(f), this.lstmC), tf.mul(tf.sigmoid(i), tf.tanh(g))) as tf.Tensor2D;
    this.lstmH = tf.mul(tf.sigmoid(o), tf.tanh(this.lstmC)) as tf.Tensor2D;
    const logit = this.fc('gate/layer/out', this.lstmH);
    const prob = tf.sigmoid(logit) as tf.Tensor2D;
    const decision = this.decide(prob, logit, (p) => [p.layer[u.layer] === false ? 0 : 1]);
    this.gates.push({ id: `gate.layer${u.layer}`, kind: 'layer', layer: u.layer, prob, decision });
    return decision;
  }

  private channelGate(u: TrunkUnit, pooled: tf.Tensor2D): tf.Tensor2D {
    const hid = tf.relu(this.fc(`gate/channel${u.layer}/fc1`, pooled)) as tf.Tensor2D;
    const logit = this.fc(`gate/channel${u.layer}/fc2`, hid);
    const prob = tf.sigmoid(logit) as tf.Tensor2D;
    const decision = this.decide(prob, logit, (p) => Array.from({ length: u.groups }, (_, g) => (p.channel[u.layer]?.[g] === false ? 0 : 1)));
    this.gates.push({ id: `gate.channel${u.layer}`, kind: 'channel', layer: u.layer, prob, decision });
    return decision;
  }

  /** A gate's decision: forced per sample, all on, or the hard STE decision of the chosen gradient form. */
  private decide(prob: tf.Tensor2D, logit: tf.Tensor2D, forcedRow: (p: GatePattern) => number[]): tf.Tensor2D {
    if (this.opts.forced) return tf.tensor2d(this.opts.forced.map(forcedRow));
    if (this.opts.gates === 'all-on') return tf.onesLike(prob);
    const g = this.opts.gateGradient;
    return (g === 'logit-bounded' ? hardGateFromLogitBounded(logit) : g === 'logit' ? hardGateFromLogit(logit) : hardThresholdSTE(prob)) as tf.Tensor2D;
  }

  /**
   * BN over the batch. `present` ([B, C] 0/1, DenseNet only): which samples have each input channel;
   * a channel masked off by an earlier layer's gate is zero for those samples and is left out of
   * the batch statistics (maskedMoments). Without that, a channel kept by a few samples normalises
   * by a tiny variance, and its gradients blow up: the DenseNet's joint stage went NaN this way.
   */
  private bn(name: string, t: tf.Tensor4D, present: tf.Tensor2D | null = null): tf.Tensor4D {
    const v1 = (n: string) => this.v(n) as tf.Tensor1D;
    if (!this.training) return tf.batchNorm4d(t, v1(`${name}/mean`), v1(`${name}/variance`), v1(`${name}/beta`), v1(`${name}/gamma`), BN_EPSILON);
    const m = present ? maskedMoments(t, present) : { ...tf.moments(t, [0, 1, 2]), count: null };
    if (this.update) {
      const mean = this.v(`${name}/mean`);
      const variance = this.v(`${name}/variance`);
      if (m.count) {
        // Per channel: unbiased by its own count; a channel absent from the whole batch keeps its statistics.
        const cnt = m.count;
        const seen = tf.greater(cnt, 0);
        const unbiased = tf.div(cnt, tf.maximum(tf.sub(cnt, 1), 1));
        mean.assign(tf.tidy(() => tf.where(seen, tf.add(tf.mul(mean, 1 - BN_MOMENTUM), tf.mul(m.mean, BN_MOMENTUM)), mean)));
        variance.assign(tf.tidy(() => tf.where(seen, tf.add(tf.mul(variance, 1 - BN_MOMENTUM), tf.mul(tf.mul(m.variance, unbiased), BN_MOMENTUM)), variance)));
      } else {
        const n = t.shape[0] * t.shape[1] * t.shape[2];
        const unbiased = n > 1 ? n / (n - 1) : 1;
        mean.assign(tf.tidy(() => tf.add(tf.mul(mean, 1 - BN_MOMENTUM), tf.mul(m.mean, BN_MOMENTUM))));
        variance.assign(tf.tidy(() => tf.add(tf.mul(variance, 1 - BN_MOMENTUM), tf.mul(m.variance, BN_MOMENTUM * unbiased))));
      }
    }
    return tf.batchNorm4d(t, m.mean as tf.Tensor1D, m.variance as tf.Tensor1D, v1(`${name}/beta`), v1(`${name}/gamma`), BN_EPSILON);
  }

  private v(name: string): tf.Variable {
    return this.model.variable(name);
  }

  private conv(name: string, t: tf.Tensor4D, stride = 1): tf.Tensor4D {
    return tf.conv2d(t, this.v(`${name}/kernel`) as tf.Tensor4D, stride, 'same');
  }

  private fc(name: string, t: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(t, this.v(`${name}/kernel`) as tf.Tensor2D), this.v(`${name}/bias`)) as tf.Tensor2D;
  }

  private entry(id: string): UnitCost {
    const e = this.table.entries[id];
    if (!e) throw new Error(`Cost table ${this.table.name} has no entry for unit ${id}.`);
    return e;
  }

  private addVar(c: tf.Tensor1D): void {
    this.varCost = this.varCost ? (tf.add(this.varCost, c) as tf.Tensor1D) : c;
  }
}

const gap = (t: tf.Tensor4D) => tf.mean(t, [1, 2]) as tf.Tensor2D;

/** Channels a trunk unit's cost is expressed in (see cost.ts): ResNet conv1 width, dense growth, else 0. */
export function unitChannels(u: TrunkUnit): number {
  if (u.kind === 'block') return u.mid;
  if (u.kind === 'dense') return u.outC - u.inC;
  return 0;
}

/**
 * Per-channel mean and (biased) variance of NHWC `t` over the samples whose channel is present
 * (`present` [B, C] 0/1), and the count of values they cover. A channel absent from every sample
 * gets mean 0, variance 0 (its values are all zero, so BN maps them to beta either way).
 */
export function maskedMoments(t: tf.Tensor4D, present: tf.Tensor2D): { mean: tf.Tensor1D; variance: tf.Tensor1D; count: tf.Tensor1D } {
  const [B, H, W, C] = t.shape;
  const w = tf.reshape(present, [B, 1, 1, C]);
  const count = tf.mul(tf.sum(present, 0), H * W) as tf.Tensor1D;
  const denom = tf.maximum(count, 1);
  const mean = tf.div(tf.sum(tf.mul(t, w), [0, 1, 2]), denom) as tf.Tensor1D;
  const variance = tf.div(tf.sum(tf.mul(tf.square(tf.sub(t, mean)), w), [0, 1, 2]), denom) as tf.Tensor1D;
  return { mean, variance, count };
}

/** [G, C] 0/1 matrix mapping group bits to channel bits. */
function expansionMatrix(channels: number, groupSize: number): tf.Tensor2D {
  const G = Math.ceil(channels / groupSize);
  const m = new Float32Array(G * channels);
  for (let c = 0; c < channels; c++) m[Math.floor(c / groupSize) * channels + c] = 1;
  return tf.tensor2d(m, [G, channels]);
}
