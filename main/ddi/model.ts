/**
 * The gated model: variables plus the differentiable training forward pass (masks on the full
 * batch, STE gates, every exit's logits and a per-sample cost). Inference with real skipping lives
 * in runtime/ and infer.ts and reads the same variables (BN folded).
 */
import * as tf from '@tensorflow/tfjs-core';
// forwardTrain is differentiated: tfjs-core alone registers no gradients.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { ModelConfig } from './config';
import { validateConfig } from './config';
import { buildLayout, groupSizes, type Layout, type TrunkUnit } from './layout';
import { initValues, mulberry32, paramSpecs, type ParamGroup, type ParamSpec } from './params';
import { macTable, shortcutId, unitInfos, type CostTable, type UnitInfo } from './cost';
import { detachGradient, hardGateFromLogit, hardGateFromLogitBounded, hardThresholdSTE, type GateGradient } from './ste';

export const BN_EPSILON = 1e-5;
/** Weight of the current batch in the moving BN statistics (PyTorch momentum 0.1). */
export const BN_MOMENTUM = 0.1;

/**
 * Gate decisions of one sample, used to force gates (tests, ablations) and reported by inference.
 * layer[i]: block i executes (ignored for blocks without a layer gate). channel[i]: kept-group flags
 * of unit i (null or absent: all groups kept; ignored for units without a channel gate).
 */
export interface GatePattern {
  layer: boolean[];
  channel: (boolean[] | null)[];
}

export interface ForwardTrainOptions {
  /** BN uses batch statistics (default true). false = moving statistics (evaluation). */
  training?: boolean;
  /** Update the moving BN statistics (default: same as training). */
  updateStats?: boolean;
  /** 'learned' (default): gates decide. 'all-on': every gate forced to 1 (backbone pre-training / static). */
  gates?: 'learned' | 'all-on';
  /** Force the decisions of every sample (overrides 'gates'); one pattern per batch row. */
  forced?: GatePattern[];
  /** Cost table for the differentiable per-sample cost (default: the exact MAC table). */
  costTable?: CostTable;
  /** Straight-through estimator of the learned gates (ste.ts); default 'sigmoid', the reference form. */
  gateGradient?: GateGradient;
  /**
   * What the exits' losses train: 'backbone' (default, the reference) = exit heads, backbone and
   * gates; 'heads' = the exit heads only (their input is detached), so the gates are not pulled
   * towards keeping the blocks before an exit. See docs/lab/models-log.md.
   */
  exitGradient?: ExitGradient;
  /**
   * What the gates' losses train besides the gates: 'backbone' (default, the reference) = the gates'
   * gradient also flows into the features they read; 'detached' = the gates read the features but
   * their gradient (the cost term's and the cross-entropy's through the decisions) stops at the gate,
   * so the backbone learns only from the classifiers. See docs/lab/models-log.md.
   */
  gateInput?: GateInput;
}

export type ExitGradient = 'backbone' | 'heads';
export type GateInput = 'backbone' | 'detached';

export interface GateOutput {
  /** 'gate.layer3' / 'gate.channel3'. */
  id: string;
  kind: 'layer' | 'channel';
  layer: number;
  /** Sigmoid probabilities, [B,1] (layer) or [B,G] (channel). */
  prob: tf.Tensor2D;
  /** STE decisions, same shape: forward 0/1, gradient straight through to prob. */
  decision: tf.Tensor2D;
}

export interface ForwardTrainResult {
  /** Logits of every early exit, in exit order, each [B, numClasses]. */
  exitLogits: tf.Tensor2D[];
  /** Logits of the final classifier, [B, numClasses]. */
  logits: tf.Tensor2D;
  gates: GateOutput[];
  /** Differentiable per-sample cost [B] in the cost table's unit (gates, exits, stem, classifier included). */
  cost: tf.Tensor1D;
  /** Cost of one sample with every unit on at full width (for the cp_ratio = cost / fullCost). */
  fullCost: number;
}

export interface VariableGroups {
  backbone: tf.Variable[];
  gates: tf.Variable[];
  exits: tf.Variable[];
}

export class DdiModel {
  readonly layout: Layout;
  readonly specs: ParamSpec[];
  readonly units: UnitInfo[];
  private readonly vars = new Map<string, tf.Variable>();
  private disposed = false;

  constructor(
    readonly config: ModelConfig,
    values: Map<string, Float32Array>,
  ) {
    validateConfig(config);
    this.layout = buildLayout(config);
    this.specs = paramSpecs(this.layout);
    this.units = unitInfos(this.layout);
    for (const s of this.specs) {
      const v = values.get(s.name);
      if (!v) throw new Error(`Missing value for parameter ${s.name}.`);
      const size = s.shape.reduce((a, b) => a * b, 1);
      if (v.length !== size) throw new Error(`Parameter ${s.name} has ${v.length} values, expected ${size}.`);
      // Unnamed: tfjs variable names are global, and the same model may be loaded twice.
      const init = tf.tensor(v, s.shape, 'float32');
      this.vars.set(s.name, tf.variable(init, s.group !== 'stats'));
      init.dispose();
    }
  }

  /** The variable behind a parameter name (throws for unknown names). */
  variable(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`Model has no parameter named ${name}.`);
    return v;
  }

  hasVariable(name: string): boolean {
    return this.vars.has(name);
  }

  /** Parameter names in weights.bin order. */
  parameterNames(): string[] {
    return this.specs.map((s) => s.name);
  }

  /** Trainable variables grouped as backbone (incl. classifier) / gates / exits. BN moving stats excluded. */
  variableGroups(): VariableGroups {
    const out: VariableGroups = { backbone: [], gates: [], exits: [] };
    for (const s of this.specs) if (s.group !== 'stats') out[s.group].push(this.variable(s.name));
    return out;
  }

  trainableVariables(groups: Exclude<ParamGroup, 'stats'>[] = ['backbone', 'gates', 'exits']): tf.Variable[] {
    const g = this.variableGroups();
    return groups.flatMap((k) => g[k]);
  }

  /** Current parameter values (copies), keyed by name. */
  async readValues(): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const s of this.specs) out.set(s.name, (await this.variable(s.name).data()) as Float32Array);
    return out;
  }

  readValuesSync(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const s of this.specs) out.set(s.name, this.variable(s.name).dataSync() as Float32Array);
    return out;
  }

  get numParams(): number {
    return this.specs.filter((s) => s.group !== 'stats').reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  }

  isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    if (this.disposed) return;
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
    this.disposed = true;
  }

  // ---------------------------------------------------------------- training forward pass

  /**
   * Differentiable forward pass over the full batch with masks (training semantics). Call it inside
   * optimizer.minimize / tf.variableGrads; outside, wrap in tf.tidy and dispose the result.
   * x is NHWC and already normalised (see normalizeImages).
   */
  forwardTrain(x: tf.Tensor4D, opts: ForwardTrainOptions = {}): ForwardTrainResult {
    const training = opts.training ?? true;
    const update = opts.updateStats ?? training;
    const cfg = this.config;
    const lay = this.layout;
    const B = x.shape[0];
    if (x.shape[1] !== cfg.input.height || x.shape[2] !== cfg.input.width || x.shape[3] !== cfg.input.channels) {
      throw new Error(`Input shape [${x.shape.join(',')}] does not match the model input ${cfg.input.height}×${cfg.input.width}×${cfg.input.channels}.`);
    }
    if (opts.forced && opts.forced.length !== B) throw new Error(`forced has ${opts.forced.length} patterns for a batch of ${B}.`);
    const table = opts.costTable ?? macTable(lay);
    const entry = (id: string) => {
      const e = table.entries[id];
      if (!e) throw new Error(`Cost table ${table.name} has no entry for unit ${id}.`);
      return e;
    };
    const v = (n: string) => this.variable(n);
    const v1 = (n: string) => this.variable(n) as tf.Tensor1D;
    /**
     * BN over the batch. `present` ([B, C] 0/1, DenseNet only): which samples have each input channel;
     * a channel masked off by an earlier layer's gate is zero for those samples and is left out of
     * the batch statistics (maskedMoments). Without that, a channel kept by a few samples normalises
     * by a tiny variance, and its gradients blow up: the DenseNet's joint stage went NaN this way.
     */
    const bn = (name: string, t: tf.Tensor4D, present: tf.Tensor2D | null = null): tf.Tensor4D => {
      if (!training) return tf.batchNorm4d(t, v1(`${name}/mean`), v1(`${name}/variance`), v1(`${name}/beta`), v1(`${name}/gamma`), BN_EPSILON);
      const m = present ? maskedMoments(t, present) : { ...tf.moments(t, [0, 1, 2]), count: null };
      if (update) {
        const mean = v(`${name}/mean`);
        const variance = v(`${name}/variance`);
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
    };
    const conv = (name: string, t: tf.Tensor4D, stride = 1) => tf.conv2d(t, v(`${name}/kernel`) as tf.Tensor4D, stride, 'same');
    const fc = (name: string, t: tf.Tensor2D) => tf.add(tf.matMul(t, v(`${name}/kernel`) as tf.Tensor2D), v(`${name}/bias`)) as tf.Tensor2D;
    const gap = (t: tf.Tensor4D) => tf.mean(t, [1, 2]) as tf.Tensor2D;

    const gates: GateOutput[] = [];
    const exitLogits: tf.Tensor2D[] = [];
    let constCost = 0;
    let fullCost = 0;
    let varCost: tf.Tensor1D | null = null;
    const addVar = (t: tf.Tensor1D) => {
      varCost = varCost ? (tf.add(varCost, t) as tf.Tensor1D) : t;
    };
    const forcedCol = (fn: (p: GatePattern) => number[]): tf.Tensor2D => tf.tensor2d(opts.forced!.map(fn));

    const h = cfg.gates.layerHidden;
    let lstmH: tf.Tensor2D = tf.zeros([B, h]);
    let lstmC: tf.Tensor2D = tf.zeros([B, h]);

    const hardDecision = (prob: tf.Tensor2D, logit: tf.Tensor2D): tf.Tensor2D =>
      (opts.gateGradient === 'logit-bounded'
        ? hardGateFromLogitBounded(logit)
        : opts.gateGradient === 'logit'
          ? hardGateFromLogit(logit)
          : hardThresholdSTE(prob)) as tf.Tensor2D;
    const layerGate = (u: TrunkUnit, pooled: tf.Tensor2D): tf.Tensor2D => {
      const e = fc(`gate/layer/proj${u.layerGateProj}`, pooled);
      const z = tf.add(tf.matMul(tf.concat([e, lstmH], 1), v('gate/layer/lstm/kernel') as tf.Tensor2D), v('gate/layer/lstm/bias')) as tf.Tensor2D;
      const [i, f, g, o] = tf.split(z, 4, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      lstmC = tf.add(tf.mul(tf.sigmoid(f), lstmC), tf.mul(tf.sigmoid(i), tf.tanh(g))) as tf.Tensor2D;
      lstmH = tf.mul(tf.sigmoid(o), tf.tanh(lstmC)) as tf.Tensor2D;
      const logit = fc('gate/layer/out', lstmH);
      const prob = tf.sigmoid(logit) as tf.Tensor2D;
      let decision: tf.Tensor2D;
      if (opts.forced) decision = forcedCol((p) => [p.layer[u.layer] === false ? 0 : 1]);
      else if (opts.gates === 'all-on') decision = tf.onesLike(prob);
      else decision = hardDecision(prob, logit);
      gates.push({ id: `gate.layer${u.layer}`, kind: 'layer', layer: u.layer, prob, decision });
      return decision;
    };

    const channelGate = (u: TrunkUnit, pooled: tf.Tensor2D): tf.Tensor2D => {
      const hid = tf.relu(fc(`gate/channel${u.layer}/fc1`, pooled)) as tf.Tensor2D;
      const logit = fc(`gate/channel${u.layer}/fc2`, hid);
      const prob = tf.sigmoid(logit) as tf.Tensor2D;
      let decision: tf.Tensor2D;
      if (opts.forced) decision = forcedCol((p) => Array.from({ length: u.groups }, (_, g) => (p.channel[u.layer]?.[g] === false ? 0 : 1)));
      else if (opts.gates === 'all-on') decision = tf.onesLike(prob);
      else decision = hardDecision(prob, logit);
      gates.push({ id: `gate.channel${u.layer}`, kind: 'channel', layer: u.layer, prob, decision });
      return decision;
    };

    let t: tf.Tensor4D = x;
    // DenseNet: which samples have each channel of t (null = all of them); see bn().
    let present: tf.Tensor2D | null = null;
    for (let ti = 0; ti < lay.trunk.length; ti++) {
      const u = lay.trunk[ti]!;
      const info = entry(u.id);
      const full = info.fixed + info.anyChannel + info.perChannel * unitChannels(u);
      fullCost += full;
      if (u.kind === 'stem') {
        const y = conv('stem/conv', t);
        t = cfg.kind === 'resnet' ? (tf.relu(bn('stem/bn', y)) as tf.Tensor4D) : y;
        constCost += full;
      } else if (u.kind === 'transition') {
        const y = conv(`${u.id}/conv`, tf.relu(bn(`${u.id}/bn`, t, present)) as tf.Tensor4D);
        t = tf.avgPool(y, 2, 2, 'valid');
        present = null;
        constCost += full;
      } else {
        const pooled = u.layerGated || u.groups > 0 ? (opts.gateInput === 'detached' ? (detachGradient(gap(t)) as tf.Tensor2D) : gap(t)) : null;
        let mL: tf.Tensor2D | null = null;
        if (u.layerGated) {
          mL = layerGate(u, pooled!);
          const gc = entry(`gate.layer${u.layer}`);
          fullCost += gc.fixed;
          constCost += gc.fixed;
        }
        let mC: tf.Tensor2D | null = null;
        let keptCount: tf.Tensor1D | null = null;
        let any: tf.Tensor1D | null = null;
        let chanMask: tf.Tensor4D | null = null;
        let chanRows: tf.Tensor2D | null = null;
        if (u.groups > 0) {
          mC = channelGate(u, pooled!);
          const gc = entry(`gate.channel${u.layer}`);
          fullCost += gc.fixed;
          // The channel gate runs only when the block does.
          if (mL) addVar(tf.mul(tf.reshape(mL, [B]), gc.fixed) as tf.Tensor1D);
          else constCost += gc.fixed;
          const sizes = groupSizes(u.gatedChannels, cfg.gates.groupSize);
          keptCount = tf.reshape(tf.matMul(mC, tf.tensor2d(sizes, [sizes.length, 1])), [B]) as tf.Tensor1D;
          any = tf.max(mC, 1) as tf.Tensor1D;
          chanRows = tf.matMul(mC, expansionMatrix(u.gatedChannels, cfg.gates.groupSize)) as tf.Tensor2D;
          chanMask = tf.reshape(chanRows, [B, 1, 1, u.gatedChannels]) as tf.Tensor4D;
        }
        // Cost of the unit itself: mL · (fixed + anyChannel·any + perChannel·kept).
        if (!mL && !keptCount) constCost += full;
        else {
          let c: tf.Tensor1D = keptCount
            ? (tf.add(tf.add(tf.mul(any!, info.anyChannel), tf.mul(keptCount, info.perChannel)), info.fixed) as tf.Tensor1D)
            : (tf.fill([B], full) as tf.Tensor1D);
          if (mL) c = tf.mul(c, tf.reshape(mL, [B])) as tf.Tensor1D;
          addVar(c);
          // A skipped downsampling block still pays for its projection shortcut.
          if (mL && u.projection) addVar(tf.mul(tf.sub(1, tf.reshape(mL, [B])), entry(shortcutId(u.id)).fixed) as tf.Tensor1D);
        }
        if (u.kind === 'block') {
          let a = tf.relu(bn(`${u.id}/bn1`, conv(`${u.id}/conv1`, t, u.stride))) as tf.Tensor4D;
          if (chanMask) a = tf.mul(a, chanMask) as tf.Tensor4D;
          const y = bn(`${u.id}/bn2`, conv(`${u.id}/conv2`, a));
          const sc = u.projection ? bn(`${u.id}/projbn`, conv(`${u.id}/proj`, t, u.stride)) : t;
          let out = tf.relu(tf.add(y, sc)) as tf.Tensor4D;
          if (mL) {
            const m4 = tf.reshape(mL, [B, 1, 1, 1]);
            out = tf.add(tf.mul(out, m4), tf.mul(sc, tf.sub(1, m4))) as tf.Tensor4D;
          }
          t = out;
        } else {
          const a = tf.relu(bn(`${u.id}/bn1`, t, present)) as tf.Tensor4D;
          const b = tf.relu(bn(`${u.id}/bn2`, conv(`${u.id}/conv1`, a))) as tf.Tensor4D;
          let nw = conv(`${u.id}/conv2`, b);
          if (chanMask) nw = tf.mul(nw, chanMask) as tf.Tensor4D;
          if (present || chanRows) {
            present = tf.concat([present ?? tf.ones([B, t.shape[3]]), chanRows ?? tf.ones([B, nw.shape[3]])], 1) as tf.Tensor2D;
          }
          t = tf.concat([t, nw], 3);
        }
      }
      for (const e of lay.exits) {
        if (e.afterTrunk !== ti) continue;
        const src = opts.exitGradient === 'heads' ? (detachGradient(t) as tf.Tensor4D) : t;
        const y = tf.relu(bn(`${e.id}/bn`, conv(`${e.id}/conv`, src, 2))) as tf.Tensor4D;
        exitLogits.push(fc(`${e.id}/fc`, gap(y)));
        const ec = entry(e.id).fixed;
        constCost += ec;
        fullCost += ec;
      }
    }
    let f = t;
    if (cfg.kind === 'densenet') f = tf.relu(bn('classifier/bn', f, present)) as tf.Tensor4D;
    const logits = fc('classifier/fc', gap(f));
    const cc = entry('classifier').fixed;
    constCost += cc;
    fullCost += cc;
    const cost = varCost ? (tf.add(varCost, constCost) as tf.Tensor1D) : (tf.fill([B], constCost) as tf.Tensor1D);
    return { exitLogits, logits, gates, cost, fullCost };
  }
}

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

/** Builds a model with deterministic random initial weights. */
export function buildModel(config: ModelConfig, seed = 1): DdiModel {
  validateConfig(config);
  const layout = buildLayout(config);
  const rand = mulberry32(seed);
  const values = new Map<string, Float32Array>();
  for (const s of paramSpecs(layout)) values.set(s.name, initValues(s, rand));
  return new DdiModel(config, values);
}

/** Input normalisation stored with a model: x' = (x − mean[c]) / std[c] on [0,1] pixels. */
export interface InputNormalization {
  mean: number[];
  std: number[];
}

/** Normalises NHWC images in [0,1]. Returns a new tensor. */
export function normalizeImages(x: tf.Tensor4D, norm: InputNormalization): tf.Tensor4D {
  return tf.tidy(() => tf.div(tf.sub(x, tf.tensor1d(norm.mean)), tf.tensor1d(norm.std)) as tf.Tensor4D);
}
