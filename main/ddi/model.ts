/**
 * The gated model: variables plus the differentiable training forward pass (in forward-train.ts:
 * masks on the full batch, STE gates, every exit's logits and a per-sample cost). Inference with
 * real skipping lives in runtime/ and infer.ts and reads the same variables (BN folded).
 */
import * as tf from '@tensorflow/tfjs-core';
// forwardTrain is differentiated: tfjs-core alone registers no gradients.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { ModelConfig } from './config';
import { validateConfig } from './config';
import { buildLayout, type Layout } from './layout';
import { initValues, mulberry32, paramSpecs, type ParamGroup, type ParamSpec } from './params';
import { unitInfos, type CostTable, type UnitInfo } from './cost';
import type { GateGradient } from './ste';
import { TrainingPass } from './forward-train';

export { BN_EPSILON, BN_MOMENTUM, maskedMoments, unitChannels } from './forward-train';

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
    return new TrainingPass(this, x, opts).run();
  }
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
