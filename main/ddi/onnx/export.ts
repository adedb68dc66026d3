/**
 * ONNX export of a DDI model's static network, for running it in ONNX Runtime.
 *
 * What is exported is the **static path**: every trunk unit at full width, in order. Layer gates,
 * channel gates and the LSTM are ignored (a gated model exports exactly the graph of the same
 * backbone without gates); early-exit heads are left out unless one is asked for as the head.
 * Inference semantics are the engine's: BatchNorm uses the moving statistics and is folded into
 * the convolutions with the same float32 arithmetic as runtime/tfjs.ts (fold.ts), so both
 * runtimes compute the same function up to summation order.
 *
 * A contiguous range of trunk units can be exported (`from`/`to`), with or without a head, so a
 * future ONNX UnitRuntime can hold one graph per unit (or per run of units) and keep the DDI
 * control (gates, budgets, halting) on the host as it does for tfjs.
 *
 * Layout: the engine works in NHWC, ONNX Conv in NCHW. Graph inputs and feature outputs are NCHW
 * (see `nhwcToNchw`); tfjs kernels are HWIO and are transposed to ONNX's OIHW here.
 */
import type { DdiModel, InputNormalization } from '../model';
import type { TrunkUnit } from '../layout';
import { UserError } from '../../util/errors';
import { ProtoWriter, float32LE } from './protobuf';
import { bnScaleShift, foldConv } from '../fold';

/** Opset 13 has every op used here with the attributes set here, and any ONNX Runtime of recent years reads it. */
export const ONNX_OPSET = 13;
/** The IR version released with opset 13 (ONNX 1.8). */
export const ONNX_IR_VERSION = 7;
export const ONNX_PRODUCER = 'ddi-profiler';

/** Head after the last exported unit: the final classifier, an early exit's head, or none (features out). */
export type OnnxHead = 'classifier' | 'none' | { exit: number };

export interface OnnxExportOptions {
  /** First trunk unit (index into model.layout.trunk, 0 = stem). Default 0. */
  from?: number;
  /** Last trunk unit, inclusive. Default: the last one. */
  to?: number;
  /** Default: 'classifier' when `to` is the last unit, else 'none'. */
  head?: OnnxHead;
  /** Fixed batch size, or 'dynamic' (default) for a symbolic first dimension named "N". */
  batch?: number | 'dynamic';
  /**
   * Fold the model's input normalisation ((x − mean[c]) / std[c]) into the graph so it takes raw
   * [0,1] pixels; only when `from` is 0. Default: none, the input is already normalised (as the
   * engine's runtime receives it).
   */
  normalization?: InputNormalization | null;
}

export interface OnnxValueInfo {
  name: string;
  /** NCHW for images / feature maps, [N, classes] for logits; the batch dimension is "N" when dynamic. */
  shape: (number | string)[];
  /** Element type; float32 unless said (kept-channel index inputs are int64). */
  type?: 'int64';
}

export interface OnnxExport {
  /** The serialized ModelProto. */
  bytes: Uint8Array;
  input: OnnxValueInfo;
  output: OnnxValueInfo;
  from: number;
  to: number;
  head: OnnxHead;
  /** Op types of the graph's nodes, in order. */
  ops: string[];
  /** Names of the weight tensors (initializers), in order. */
  initializers: string[];
}

type Attr = { name: string; int: number } | { name: string; ints: number[] };

interface Node {
  op: string;
  inputs: string[];
  output: string;
  attrs: Attr[];
}

interface Initializer {
  name: string;
  dims: number[];
  /** float32 weights, or int64 indices (Gather). */
  data: Float32Array | BigInt64Array;
}

/** A conv kernel in tfjs layout (HWIO) with BN already folded, plus its bias. */
interface ConvWeights {
  kernel: Float32Array;
  shape: [number, number, number, number];
  bias: Float32Array | null;
}

/** tfjs/TensorFlow 'same' padding: the odd pixel goes at the end (bottom/right), which ONNX's SAME_UPPER also does, but explicit pads leave no room for interpretation. */
export function samePads(size: number, kernel: number, stride: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** NHWC → NCHW copy (engine images and tfjs feature maps are NHWC). */
export function nhwcToNchw(x: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(n * c * h * w);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let xx = 0; xx < w; xx++) for (let ch = 0; ch < c; ch++) out[((b * c + ch) * h + y) * w + xx] = x[((b * h + y) * w + xx) * c + ch]!;
  return out;
}

function hwioToOihw(k: Float32Array, [kh, kw, ci, co]: [number, number, number, number]): Float32Array {
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) out[((o * ci + i) * kh + y) * kw + x] = k[((y * kw + x) * ci + i) * co + o]!;
  return out;
}

function checkOptions(model: DdiModel, options: OnnxExportOptions): { from: number; to: number; head: OnnxHead; batch: number | 'dynamic' } {
  const trunk = model.layout.trunk;
  const last = trunk.length - 1;
  const from = options.from ?? 0;
  const to = options.to ?? last;
  const range = `0–${last}`;
  for (const [k, v] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v > last) {
      throw new UserError(
        `ONNX export: ${k} = ${v} is not a trunk unit of ${model.config.name} (units ${range}); pass an index in that range.`,
        'bad-export-options',
      );
    }
  }
  if (from > to) throw new UserError(`ONNX export: from = ${from} comes after to = ${to}; pass from ≤ to.`, 'bad-export-options');
  const head = options.head ?? (to === last ? 'classifier' : 'none');
  if (head === 'classifier' && to !== last) {
    throw new UserError(
      `ONNX export: the final classifier reads the last trunk unit (${last}) but to = ${to}; pass to: ${last} or head: 'none'.`,
      'bad-export-options',
    );
  }
  if (typeof head === 'object') {
    const e = model.layout.exits[head.exit];
    if (!e)
      throw new UserError(
        `ONNX export: ${model.config.name} has no exit ${head.exit} (it has ${model.layout.exits.length}); pass an existing exit index.`,
        'bad-export-options',
      );
    if (e.afterTrunk !== to) {
      throw new UserError(`ONNX export: exit ${head.exit} reads trunk unit ${e.afterTrunk} but to = ${to}; pass to: ${e.afterTrunk}.`, 'bad-export-options');
    }
  }
  const batch = options.batch ?? 'dynamic';
  if (batch !== 'dynamic' && (!Number.isInteger(batch) || batch < 1)) {
    throw new UserError(`ONNX export: batch = ${batch} is not a positive integer; pass one or 'dynamic'.`, 'bad-export-options');
  }
  const norm = options.normalization;
  if (norm) {
    if (from !== 0)
      throw new UserError(
        `ONNX export: input normalisation applies to images, but from = ${from} starts inside the trunk; drop normalization or export from 0.`,
        'bad-export-options',
      );
    const C = model.config.input.channels;
    if (norm.mean.length !== C || norm.std.length !== C) {
      throw new UserError(
        `ONNX export: normalization has ${norm.mean.length} means and ${norm.std.length} stds for ${C} input channels; give one per channel.`,
        'bad-export-options',
      );
    }
  }
  return { from, to, head, batch };
}

/**
 * Exports trunk units `from`..`to` of the model's static network (plus a head) as an ONNX model
 * (opset 13, float32, NCHW). Gates are ignored; see the file comment.
 */
export function exportOnnx(model: DdiModel, options: OnnxExportOptions = {}): OnnxExport {
  const { from, to, head, batch } = checkOptions(model, options);
  const cfg = model.config;
  const g = graphBuilder(model);
  const N: number | string = batch === 'dynamic' ? 'N' : batch;
  const first = model.layout.trunk[from]!;
  const input: OnnxValueInfo = { name: from === 0 ? 'image' : `${first.id}/in`, shape: [N, first.inC, first.inH, first.inW] };
  let x = input.name;
  if (options.normalization) {
    const C = cfg.input.channels;
    x = g.node('Sub', [x, g.init('normalization/mean', [1, C, 1, 1], Float32Array.from(options.normalization.mean))], 'normalization/sub');
    x = g.node('Div', [x, g.init('normalization/std', [1, C, 1, 1], Float32Array.from(options.normalization.std))], 'normalization/div');
  }
  for (let i = from; i <= to; i++) x = g.unit(i, x, null, null);
  const last = model.layout.trunk[to]!;
  const output: OnnxValueInfo =
    head === 'none' ? { name: x, shape: [N, last.outC, last.outH, last.outW] } : { name: g.head(head, x), shape: [N, cfg.numClasses] };
  const bytes = encodeModel(cfg.name, g.nodes, g.inits, [input], [output]);
  return { bytes, input, output, from, to, head, ops: g.nodes.map((n) => n.op), initializers: g.inits.map((t) => t.name) };
}

/** One piece of the network for a per-unit executor (runtime/ort.ts). */
export type OnnxPart =
  /**
   * Trunk unit `unit` alone. `channels`: the kept channels of its gate (ResNet block: conv1's output and
   * conv2's input channels; dense layer: its new channels, the others output as zeros), only those
   * filters are exported. `mask`: an extra input "mask" [N, kept, 1, 1] multiplied into the kept
   * channels (rows of one batch that keep different channels run the union with a per-row mask).
   * `align`: pad the kept filters with all-zero ones to a multiple of this (ONNX Runtime's NCHWc
   * convolutions on x86 need filter counts in multiples of 8; a 4-filter conv falls back to a path
   * slower than the full 16-filter one). Zero filters change no value.
   * `channels: 'input'`: the kept channels are graph inputs instead (see `ONNX_KEPT_INPUTS`), so one
   * graph serves every kept pattern of the unit.
   */
  | { kind: 'unit'; unit: number; channels?: number[] | 'input' | null; mask?: boolean; align?: number; pooled?: boolean }
  /**
   * Trunk units `from`..`to` in one graph (no gate reads anything in between), at full width except
   * that `channels` (with `align`, as for 'unit') keeps only those gated channels of unit `from`: a
   * kept-channel block fused with the ungated units and the head that follow it.
   */
  | {
      kind: 'range';
      from: number;
      to: number;
      head?: 'classifier' | { exit: number } | null;
      pooled?: boolean;
      channels?: number[] | 'input' | null;
      align?: number;
    }
  /** A downsampling block's projection shortcut alone (rows that skip the block still take it). */
  | { kind: 'shortcut'; unit: number; pooled?: boolean }
  /** An exit head or the final classifier, from the feature map it reads. */
  | { kind: 'head'; head: 'classifier' | { exit: number } };

/**
 * The inputs of a part exported with `channels: 'input'` (any kept pattern, at least one channel):
 * - `kept` int64 [k]: the kept channels in ascending order; with `align` > 1 the graph also holds one
 *   all-zero filter at index `width` (the gated channel count), and the list is padded with it;
 * - dense layers only: `place` int64 [width], for each of the unit's new channels its position in
 *   `kept` (any position when dropped), and `keep` float32 [1, width, 1, 1], 1 where kept, else 0.
 * Inside the graph `Gather` picks conv1's filters and biases and conv2's input channels of a block
 * (a dense layer's conv2 filters) by `kept`: the same weights as a graph built for the pattern.
 */
export const ONNX_KEPT_INPUTS = { kept: 'kept', place: 'place', keep: 'keep' } as const;

export interface OnnxPartExport {
  bytes: Uint8Array;
  inputs: OnnxValueInfo[];
  output: OnnxValueInfo;
  /**
   * With `pooled` (unit, range, shortcut): a second output, the feature map's global average pool
   * [N, C, 1, 1] (the same values as [N, C]; no Flatten node, which cost a node dispatch per run),
   * which is what the next unit's gates read: pooled inside the graph by ONNX Runtime instead of by a
   * JS loop over the read-back map (7 % of a gated batch-1 inference in a CPU profile).
   */
  pooled: OnnxValueInfo | null;
}

/**
 * Exports one piece of the static network (a unit, possibly with a channel subset; a range of
 * units; a projection shortcut; a head) with a dynamic batch, NCHW. The pieces share the weight
 * code with `exportOnnx`, so chaining them computes exactly the exported network.
 */
export function exportOnnxPart(model: DdiModel, part: OnnxPart): OnnxPartExport {
  const lay = model.layout;
  const cfg = model.config;
  const g = graphBuilder(model);
  const fm = (name: string, c: number, h: number, w: number): OnnxValueInfo => ({ name, shape: ['N', c, h, w] });
  const unitAt = (i: number) => {
    const u = lay.trunk[i];
    if (!u)
      throw new UserError(
        `ONNX export: ${i} is not a trunk unit of ${cfg.name} (units 0–${lay.trunk.length - 1}); pass an index in that range.`,
        'bad-export-options',
      );
    return u;
  };
  const logits = (name: string): OnnxValueInfo => ({ name, shape: ['N', cfg.numClasses] });
  const finish = (inputs: OnnxValueInfo[], output: OnnxValueInfo, pool: boolean): OnnxPartExport => {
    let pooled: OnnxValueInfo | null = null;
    if (pool && output.shape.length === 4) {
      pooled = { name: g.node('GlobalAveragePool', [output.name], `${output.name}/pooled`), shape: ['N', output.shape[1]!, 1, 1] };
    }
    return { bytes: encodeModel(cfg.name, g.nodes, g.inits, inputs, pooled ? [output, pooled] : [output]), inputs, output, pooled };
  };
  if (part.kind === 'head') {
    const reads = part.head === 'classifier' ? lay.trunk[lay.trunk.length - 1]! : lay.trunk[lay.exits[part.head.exit]?.afterTrunk ?? -1];
    if (!reads)
      throw new UserError(
        `ONNX export: ${cfg.name} has no exit ${typeof part.head === 'object' ? part.head.exit : ''}; pass an existing exit index.`,
        'bad-export-options',
      );
    const input = fm(`${reads.id}/out`, reads.outC, reads.outH, reads.outW);
    return finish([input], logits(g.head(part.head, input.name)), false);
  }
  if (part.kind === 'range') {
    const first = unitAt(part.from);
    const last = unitAt(part.to);
    if (part.from > part.to) throw new UserError(`ONNX export: from = ${part.from} comes after to = ${part.to}; pass from ≤ to.`, 'bad-export-options');
    const input = fm(`${first.id}/in`, first.inC, first.inH, first.inW);
    const inputs = [input];
    const kept =
      part.channels === 'input' ? keptInputs(first, part.from, part.align, inputs) : keptChannels(first, part.from, part.channels ?? null, part.align);
    let x = input.name;
    for (let i = part.from; i <= part.to; i++) x = g.unit(i, x, i === part.from ? kept : null, null);
    let output = fm(x, last.outC, last.outH, last.outW);
    if (part.head) {
      if (part.head === 'classifier' ? part.to !== lay.trunk.length - 1 : lay.exits[part.head.exit]?.afterTrunk !== part.to) {
        throw new UserError(`ONNX export: the requested head does not read trunk unit ${part.to}; pass the unit it reads.`, 'bad-export-options');
      }
      output = logits(g.head(part.head, x));
    }
    return finish(inputs, output, part.pooled ?? false);
  }
  const u = unitAt(part.unit);
  const input = fm(`${u.id}/in`, u.inC, u.inH, u.inW);
  if (part.kind === 'shortcut') {
    if (u.kind !== 'block' || !u.projection)
      throw new UserError(`ONNX export: trunk unit ${part.unit} (${u.id}) has no projection shortcut; pass a downsampling block.`, 'bad-export-options');
    const out = g.conv(input.name, `${u.id}/proj`, g.convWeights(`${u.id}/proj`, `${u.id}/projbn`), u.inH, u.inW, u.stride, false);
    return finish([input], fm(out, u.outC, u.outH, u.outW), part.pooled ?? false);
  }
  const inputs = [input];
  const padded = part.channels === 'input' ? keptInputs(u, part.unit, part.align, inputs) : keptChannels(u, part.unit, part.channels ?? null, part.align);
  let mask: string | null = null;
  if (part.mask) {
    const k = Array.isArray(padded) ? padded.length : padded ? 'K' : u.kind === 'block' ? u.mid : u.outC - u.inC;
    mask = 'mask';
    inputs.push({ name: mask, shape: ['N', k, 1, 1] });
  }
  const out = g.unit(part.unit, input.name, padded, mask);
  return finish(inputs, fm(out, u.outC, u.outH, u.outW), part.pooled ?? false);
}

/** Kept channels given at run time (`channels: 'input'`): the names of the inputs, and whether the weights hold a zero filter to pad with. */
interface KeptInputs {
  kept: string;
  place: string | null;
  keep: string | null;
  zeroSlot: boolean;
}

function gatedWidth(u: TrunkUnit, index: number): number {
  const width = u.kind === 'block' ? u.mid : u.kind === 'dense' ? u.outC - u.inC : 0;
  if (width === 0) throw new UserError(`ONNX export: trunk unit ${index} (${u.id}) has no gated channels; drop channels.`, 'bad-export-options');
  return width;
}

/** Declares the kept-channel inputs of unit `index` (see ONNX_KEPT_INPUTS) and appends them to `inputs`. */
function keptInputs(u: TrunkUnit, index: number, align = 1, inputs: OnnxValueInfo[]): KeptInputs {
  const width = gatedWidth(u, index);
  if (!Number.isInteger(align) || align < 1)
    throw new UserError(`ONNX export: align = ${align} is not a positive integer; pass one (1 = no padding).`, 'bad-export-options');
  const { kept, place, keep } = ONNX_KEPT_INPUTS;
  inputs.push({ name: kept, shape: ['K'], type: 'int64' });
  if (u.kind !== 'dense') return { kept, place: null, keep: null, zeroSlot: align > 1 };
  inputs.push({ name: place, shape: [width], type: 'int64' }, { name: keep, shape: [1, width, 1, 1] });
  return { kept, place, keep, zeroSlot: align > 1 };
}

/** Checks kept channels of unit `index` and pads them with -1 (a zero filter) to a multiple of `align`; null = all channels. */
function keptChannels(u: TrunkUnit, index: number, chans: number[] | null, align = 1): number[] | null {
  if (!chans) return null;
  const width = gatedWidth(u, index);
  if (chans.some((c, j) => !Number.isInteger(c) || c < 0 || c >= width || (j > 0 && c <= chans[j - 1]!))) {
    throw new UserError(`ONNX export: channels must be ascending indices below ${width} for ${u.id}; pass the kept channels in order.`, 'bad-export-options');
  }
  if (!Number.isInteger(align) || align < 1)
    throw new UserError(`ONNX export: align = ${align} is not a positive integer; pass one (1 = no padding).`, 'bad-export-options');
  return chans.length > 0 && chans.length % align !== 0 ? [...chans, ...new Array<number>(align - (chans.length % align)).fill(-1)] : chans;
}

/** Gathers output filters `chans` (axis 3 of HWIO) or input channels (axis 2); index -1 gives zeros. */
function gatherHwio(
  k: Float32Array,
  [kh, kw, ci, co]: [number, number, number, number],
  chans: number[],
  axis: 2 | 3,
): { kernel: Float32Array; shape: [number, number, number, number] } {
  const shape: [number, number, number, number] = axis === 3 ? [kh, kw, ci, chans.length] : [kh, kw, chans.length, co];
  const out = new Float32Array(kh * kw * shape[2] * shape[3]);
  let p = 0;
  for (let s = 0; s < kh * kw; s++)
    for (let i = 0; i < shape[2]; i++)
      for (let o = 0; o < shape[3]; o++) {
        const ii = axis === 2 ? chans[i]! : i;
        const oo = axis === 3 ? chans[o]! : o;
        out[p++] = ii < 0 || oo < 0 ? 0 : k[(s * ci + ii) * co + oo]!;
      }
  return { kernel: out, shape };
}

/** The node/initializer lists of one graph and the builders for every unit and head (shared by all exports). */
function graphBuilder(model: DdiModel) {
  const cfg = model.config;
  const resnet = cfg.kind === 'resnet';
  const vals = model.readValuesSync();
  const get = (n: string): Float32Array => {
    const v = vals.get(n);
    if (!v) throw new Error(`missing parameter ${n}`);
    return v;
  };
  const shapeOf = (n: string) => model.specs.find((s) => s.name === n)!.shape;

  const convWeights = (name: string, bn?: string): ConvWeights => {
    const k = get(`${name}/kernel`);
    const shape = shapeOf(`${name}/kernel`) as [number, number, number, number];
    if (!bn) return { kernel: k, shape, bias: null };
    return { ...foldConv(k, shape[3], get, bn), shape };
  };

  const nodes: Node[] = [];
  const inits: Initializer[] = [];
  const init = (name: string, dims: number[], data: Float32Array): string => {
    inits.push({ name, dims, data });
    return name;
  };
  const init64 = (name: string, dims: number[], data: number[]): string => {
    inits.push({ name, dims, data: BigInt64Array.from(data, (v) => BigInt(v)) });
    return name;
  };
  const node = (op: string, inputs: string[], output: string, attrs: Attr[] = []): string => {
    nodes.push({ op, inputs, output, attrs });
    return output;
  };
  const conv = (x: string, name: string, w: ConvWeights, inH: number, inW: number, stride: number, relu: boolean): string => {
    const [kh, kw, ci, co] = w.shape;
    const W = init(`${name}/W`, [co, ci, kh, kw], hwioToOihw(w.kernel, w.shape));
    return convOf(x, name, W, w.bias ? init(`${name}/B`, [co], w.bias) : null, kh, kw, inH, inW, stride, relu);
  };
  /** A Conv node on weight and bias tensors by name (initializers, or gathered from them). */
  const convOf = (
    x: string,
    name: string,
    W: string,
    B: string | null,
    kh: number,
    kw: number,
    inH: number,
    inW: number,
    stride: number,
    relu: boolean,
  ): string => {
    const [top, bottom] = samePads(inH, kh, stride);
    const [left, right] = samePads(inW, kw, stride);
    const inputs = B ? [x, W, B] : [x, W];
    const y = node('Conv', inputs, name, [
      { name: 'kernel_shape', ints: [kh, kw] },
      { name: 'strides', ints: [stride, stride] },
      { name: 'pads', ints: [top, left, bottom, right] },
    ]);
    return relu ? node('Relu', [y], `${name}/relu`) : y;
  };
  // Pre-activation BN (DenseNet) cannot be folded into the conv that follows (the ReLU sits between).
  const affineRelu = (x: string, bn: string): string => {
    const { scale, shift } = bnScaleShift(get, bn);
    const c = scale.length;
    const m = node('Mul', [x, init(`${bn}/scale`, [1, c, 1, 1], scale)], `${bn}/mul`);
    const a = node('Add', [m, init(`${bn}/shift`, [1, c, 1, 1], shift)], `${bn}/add`);
    return node('Relu', [a], `${bn}/relu`);
  };
  const fcHead = (x: string, name: string, fc: string): string => {
    const pooled = node('GlobalAveragePool', [x], `${name}/gap`);
    const flat = node('Flatten', [pooled], `${name}/flatten`, [{ name: 'axis', int: 1 }]);
    const kShape = shapeOf(`${fc}/kernel`);
    return node('Gemm', [flat, init(`${fc}/kernel`, kShape, get(`${fc}/kernel`)), init(`${fc}/bias`, [kShape[1]!], get(`${fc}/bias`))], `${name}/logits`);
  };
  const subset = (w: ConvWeights, chans: number[], axis: 2 | 3): ConvWeights => ({
    ...gatherHwio(w.kernel, w.shape, chans, axis),
    bias: w.bias && axis === 3 ? Float32Array.from(chans, (c) => (c < 0 ? 0 : w.bias![c]!)) : w.bias,
  });
  /**
   * A conv whose output filters (axis 3, with their biases) or input channels (axis 2) are picked
   * at run time by the int64 input `kept`; `zeroSlot` appends an all-zero filter / channel at index
   * `width` for padded lists.
   */
  const keptConv = (
    x: string,
    name: string,
    w: ConvWeights,
    axis: 2 | 3,
    kept: KeptInputs,
    inH: number,
    inW: number,
    stride: number,
    relu: boolean,
  ): string => {
    const [kh, kw, ci, co] = w.shape;
    const width = axis === 3 ? co : ci;
    if (kept.zeroSlot) w = subset(w, [...Array.from({ length: width }, (_, c) => c), -1], axis);
    const [, , ci2, co2] = w.shape;
    const W = init(`${name}/W`, [co2, ci2, kh, kw], hwioToOihw(w.kernel, w.shape));
    // OIHW: output filters are axis 0, input channels axis 1.
    const Wk = node('Gather', [W, kept.kept], `${name}/W/kept`, [{ name: 'axis', int: axis === 3 ? 0 : 1 }]);
    let B: string | null = null;
    if (w.bias) {
      B = init(`${name}/B`, [co2], w.bias);
      if (axis === 3) B = node('Gather', [B, kept.kept], `${name}/B/kept`, [{ name: 'axis', int: 0 }]);
    }
    return convOf(x, name, Wk, B, kh, kw, inH, inW, stride, relu);
  };

  /**
   * Trunk unit i on feature map x; returns the output name. `chans` keeps only those gated channels
   * (null = all; KeptInputs: given at run time), `mask` names a [N, kept, 1, 1] input multiplied into them.
   */
  const unit = (i: number, x: string, chans: number[] | KeptInputs | null, mask: string | null): string => {
    const u = model.layout.trunk[i]!;
    if (u.kind === 'stem') return conv(x, 'stem/conv', convWeights('stem/conv', resnet ? 'stem/bn' : undefined), u.inH, u.inW, 1, resnet);
    if (u.kind === 'block') {
      const sc = u.projection ? conv(x, `${u.id}/proj`, convWeights(`${u.id}/proj`, `${u.id}/projbn`), u.inH, u.inW, u.stride, false) : x;
      let w1 = convWeights(`${u.id}/conv1`, `${u.id}/bn1`);
      let w2 = convWeights(`${u.id}/conv2`, `${u.id}/bn2`);
      let y: string;
      if (chans && !Array.isArray(chans)) {
        let a = keptConv(x, `${u.id}/conv1`, w1, 3, chans, u.inH, u.inW, u.stride, true);
        if (mask) a = node('Mul', [a, mask], `${u.id}/mask`);
        y = keptConv(a, `${u.id}/conv2`, w2, 2, chans, u.outH, u.outW, 1, false);
        return node('Relu', [node('Add', [y, sc], `${u.id}/add`)], `${u.id}/out`);
      }
      if (chans && chans.length === 0) {
        // No channel kept: conv2 sees zeros, so its output is its bias (as in the tfjs runtime).
        y = node('Add', [sc, init(`${u.id}/conv2/B`, [1, u.outC, 1, 1], w2.bias!)], `${u.id}/add`);
        return node('Relu', [y], `${u.id}/out`);
      }
      if (chans) {
        w1 = subset(w1, chans, 3);
        w2 = subset(w2, chans, 2);
      }
      let a = conv(x, `${u.id}/conv1`, w1, u.inH, u.inW, u.stride, true);
      if (mask) a = node('Mul', [a, mask], `${u.id}/mask`);
      y = conv(a, `${u.id}/conv2`, w2, u.outH, u.outW, 1, false);
      return node('Relu', [node('Add', [y, sc], `${u.id}/add`)], `${u.id}/out`);
    }
    if (u.kind === 'dense') {
      const a = affineRelu(x, `${u.id}/bn1`);
      const b = conv(a, `${u.id}/conv1`, convWeights(`${u.id}/conv1`, `${u.id}/bn2`), u.inH, u.inW, 1, true);
      const k = u.outC - u.inC;
      let w2 = convWeights(`${u.id}/conv2`);
      if (chans && !Array.isArray(chans)) {
        let y = keptConv(b, `${u.id}/conv2`, w2, 3, chans, u.inH, u.inW, 1, false);
        if (mask) y = node('Mul', [y, mask], `${u.id}/mask`);
        const gathered = node('Gather', [y, chans.place!], `${u.id}/placed`, [{ name: 'axis', int: 1 }]);
        return node('Concat', [x, node('Mul', [gathered, chans.keep!], `${u.id}/new`)], `${u.id}/out`, [{ name: 'axis', int: 1 }]);
      }
      if (chans) w2 = subset(w2, chans, 3);
      let y = conv(b, `${u.id}/conv2`, w2, u.inH, u.inW, 1, false);
      if (mask) y = node('Mul', [y, mask], `${u.id}/mask`);
      const real = chans ? chans.filter((c) => c >= 0) : null;
      if (chans && real && (real.length < k || chans.length > real.length)) {
        if (real.length === 0)
          throw new UserError(
            `ONNX export: a dense layer that keeps no channel is skipped, not exported (${u.id}); keep at least one channel.`,
            'bad-export-options',
          );
        // Put the kept channels back into their k slots: Gather (a dropped slot reads kept channel 0)
        // times a 0/1 per-slot constant, so dropped slots are exact zeros.
        const place = new Array<number>(k).fill(0);
        const keep = new Float32Array(k);
        real.forEach((ch, j) => {
          place[ch] = j;
          keep[ch] = 1;
        });
        const gathered = node('Gather', [y, init64(`${u.id}/place`, [k], place)], `${u.id}/placed`, [{ name: 'axis', int: 1 }]);
        y = node('Mul', [gathered, init(`${u.id}/keep`, [1, k, 1, 1], keep)], `${u.id}/new`);
      }
      return node('Concat', [x, y], `${u.id}/out`, [{ name: 'axis', int: 1 }]);
    }
    const a = affineRelu(x, `${u.id}/bn`);
    const c = conv(a, `${u.id}/conv`, convWeights(`${u.id}/conv`), u.inH, u.inW, 1, false);
    // tfjs avgPool 'valid' floors the output size, as ONNX does with ceil_mode 0 (the default).
    return node('AveragePool', [c], `${u.id}/out`, [
      { name: 'kernel_shape', ints: [2, 2] },
      { name: 'strides', ints: [2, 2] },
    ]);
  };

  /** The final classifier or exit `head.exit` on feature map x; returns the logits' name. */
  const head = (h: 'classifier' | { exit: number }, x: string): string => {
    if (h === 'classifier') return fcHead(resnet ? x : affineRelu(x, 'classifier/bn'), 'classifier', 'classifier/fc');
    const e = model.layout.exits[h.exit]!;
    const c = conv(x, `${e.id}/conv`, convWeights(`${e.id}/conv`, `${e.id}/bn`), e.inH, e.inW, 2, true);
    return fcHead(c, e.id, `${e.id}/fc`);
  };

  return { nodes, inits, init, node, conv, convWeights, unit, head };
}

// ------------------------------------------------------------------ onnx.proto encoding
// Field numbers from onnx/onnx.proto (proto2): ModelProto, GraphProto, NodeProto, AttributeProto,
// TensorProto, ValueInfoProto, TypeProto(.Tensor), TensorShapeProto(.Dimension), OperatorSetIdProto.

const ATTR_INT = 2;
const ATTR_INTS = 7;
const TENSOR_FLOAT = 1;
const TENSOR_INT64 = 7;

/** raw_data of an int64 TensorProto: little-endian, as for float32LE. */
function int64LE(data: BigInt64Array): Uint8Array {
  const out = new Uint8Array(data.length * 8);
  const dv = new DataView(out.buffer);
  data.forEach((v, i) => dv.setBigInt64(i * 8, v, true));
  return out;
}

function writeValueInfo(w: ProtoWriter, v: OnnxValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, v.type === 'int64' ? TENSOR_INT64 : TENSOR_FLOAT);
      tensor.message(2, (shape) => {
        for (const d of v.shape) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
}

function encodeModel(name: string, nodes: Node[], inits: Initializer[], inputs: OnnxValueInfo[], outputs: OnnxValueInfo[]): Uint8Array {
  const m = new ProtoWriter();
  m.int(1, ONNX_IR_VERSION);
  m.string(2, ONNX_PRODUCER);
  m.message(7, (g) => {
    nodes.forEach((n, i) =>
      g.message(1, (nw) => {
        for (const s of n.inputs) nw.string(1, s);
        nw.string(2, n.output);
        nw.string(3, `${n.op.toLowerCase()}${i}:${n.output}`);
        nw.string(4, n.op);
        for (const a of n.attrs) {
          nw.message(5, (aw) => {
            aw.string(1, a.name);
            if ('int' in a) aw.int(20, ATTR_INT).int(3, a.int);
            else aw.int(20, ATTR_INTS).ints(8, a.ints);
          });
        }
      }),
    );
    g.string(2, name);
    for (const t of inits) {
      g.message(5, (tw) => {
        tw.ints(1, t.dims);
        tw.int(2, t.data instanceof BigInt64Array ? TENSOR_INT64 : TENSOR_FLOAT);
        tw.string(8, t.name);
        tw.bytes(9, t.data instanceof BigInt64Array ? int64LE(t.data) : float32LE(t.data));
      });
    }
    for (const input of inputs) g.message(11, (vw) => writeValueInfo(vw, input));
    for (const output of outputs) g.message(12, (vw) => writeValueInfo(vw, output));
  });
  m.message(8, (op) => op.int(2, ONNX_OPSET));
  return m.finish();
}
