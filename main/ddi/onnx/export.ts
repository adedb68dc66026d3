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
  data: Float32Array;
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
      for (let xx = 0; xx < w; xx++)
        for (let ch = 0; ch < c; ch++) out[((b * c + ch) * h + y) * w + xx] = x[((b * h + y) * w + xx) * c + ch]!;
  return out;
}

function hwioToOihw(k: Float32Array, [kh, kw, ci, co]: [number, number, number, number]): Float32Array {
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++) out[((o * ci + i) * kh + y) * kw + x] = k[((y * kw + x) * ci + i) * co + o]!;
  return out;
}

function checkOptions(model: DdiModel, options: OnnxExportOptions): { from: number; to: number; head: OnnxHead; batch: number | 'dynamic' } {
  const trunk = model.layout.trunk;
  const last = trunk.length - 1;
  const from = options.from ?? 0;
  const to = options.to ?? last;
  const range = `0–${last}`;
  for (const [k, v] of [['from', from], ['to', to]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > last) {
      throw new UserError(`ONNX export: ${k} = ${v} is not a trunk unit of ${model.config.name} (units ${range}); pass an index in that range.`, 'bad-export-options');
    }
  }
  if (from > to) throw new UserError(`ONNX export: from = ${from} comes after to = ${to}; pass from ≤ to.`, 'bad-export-options');
  const head = options.head ?? (to === last ? 'classifier' : 'none');
  if (head === 'classifier' && to !== last) {
    throw new UserError(`ONNX export: the final classifier reads the last trunk unit (${last}) but to = ${to}; pass to: ${last} or head: 'none'.`, 'bad-export-options');
  }
  if (typeof head === 'object') {
    const e = model.layout.exits[head.exit];
    if (!e) throw new UserError(`ONNX export: ${model.config.name} has no exit ${head.exit} (it has ${model.layout.exits.length}); pass an existing exit index.`, 'bad-export-options');
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
    if (from !== 0) throw new UserError(`ONNX export: input normalisation applies to images, but from = ${from} starts inside the trunk; drop normalization or export from 0.`, 'bad-export-options');
    const C = model.config.input.channels;
    if (norm.mean.length !== C || norm.std.length !== C) {
      throw new UserError(`ONNX export: normalization has ${norm.mean.length} means and ${norm.std.length} stds for ${C} input channels; give one per channel.`, 'bad-export-options');
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
  const node = (op: string, inputs: string[], output: string, attrs: Attr[] = []): string => {
    nodes.push({ op, inputs, output, attrs });
    return output;
  };
  const conv = (x: string, name: string, w: ConvWeights, inH: number, inW: number, stride: number, relu: boolean): string => {
    const [kh, kw, ci, co] = w.shape;
    const [top, bottom] = samePads(inH, kh, stride);
    const [left, right] = samePads(inW, kw, stride);
    const inputs = [x, init(`${name}/W`, [co, ci, kh, kw], hwioToOihw(w.kernel, w.shape))];
    if (w.bias) inputs.push(init(`${name}/B`, [co], w.bias));
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

  const N: number | string = batch === 'dynamic' ? 'N' : batch;
  const first = model.layout.trunk[from]!;
  const input: OnnxValueInfo = { name: from === 0 ? 'image' : `${first.id}/in`, shape: [N, first.inC, first.inH, first.inW] };
  let x = input.name;
  if (options.normalization) {
    const C = cfg.input.channels;
    x = node('Sub', [x, init('normalization/mean', [1, C, 1, 1], Float32Array.from(options.normalization.mean))], 'normalization/sub');
    x = node('Div', [x, init('normalization/std', [1, C, 1, 1], Float32Array.from(options.normalization.std))], 'normalization/div');
  }

  for (let i = from; i <= to; i++) {
    const u = model.layout.trunk[i]!;
    if (u.kind === 'stem') {
      x = conv(x, 'stem/conv', convWeights('stem/conv', resnet ? 'stem/bn' : undefined), u.inH, u.inW, 1, resnet);
    } else if (u.kind === 'block') {
      const a = conv(x, `${u.id}/conv1`, convWeights(`${u.id}/conv1`, `${u.id}/bn1`), u.inH, u.inW, u.stride, true);
      const y = conv(a, `${u.id}/conv2`, convWeights(`${u.id}/conv2`, `${u.id}/bn2`), u.outH, u.outW, 1, false);
      const sc = u.projection ? conv(x, `${u.id}/proj`, convWeights(`${u.id}/proj`, `${u.id}/projbn`), u.inH, u.inW, u.stride, false) : x;
      x = node('Relu', [node('Add', [y, sc], `${u.id}/add`)], `${u.id}/out`);
    } else if (u.kind === 'dense') {
      const a = affineRelu(x, `${u.id}/bn1`);
      const b = conv(a, `${u.id}/conv1`, convWeights(`${u.id}/conv1`, `${u.id}/bn2`), u.inH, u.inW, 1, true);
      const k = conv(b, `${u.id}/conv2`, convWeights(`${u.id}/conv2`), u.inH, u.inW, 1, false);
      x = node('Concat', [x, k], `${u.id}/out`, [{ name: 'axis', int: 1 }]);
    } else {
      const a = affineRelu(x, `${u.id}/bn`);
      const c = conv(a, `${u.id}/conv`, convWeights(`${u.id}/conv`), u.inH, u.inW, 1, false);
      // tfjs avgPool 'valid' floors the output size, as ONNX does with ceil_mode 0 (the default).
      x = node('AveragePool', [c], `${u.id}/out`, [
        { name: 'kernel_shape', ints: [2, 2] },
        { name: 'strides', ints: [2, 2] },
      ]);
    }
  }

  const last = model.layout.trunk[to]!;
  let output: OnnxValueInfo;
  if (head === 'none') {
    output = { name: x, shape: [N, last.outC, last.outH, last.outW] };
  } else if (head === 'classifier') {
    const f = resnet ? x : affineRelu(x, 'classifier/bn');
    output = { name: fcHead(f, 'classifier', 'classifier/fc'), shape: [N, cfg.numClasses] };
  } else {
    const e = model.layout.exits[head.exit]!;
    const h = conv(x, `${e.id}/conv`, convWeights(`${e.id}/conv`, `${e.id}/bn`), e.inH, e.inW, 2, true);
    output = { name: fcHead(h, e.id, `${e.id}/fc`), shape: [N, cfg.numClasses] };
  }

  const bytes = encodeModel(cfg.name, nodes, inits, input, output);
  return { bytes, input, output, from, to, head, ops: nodes.map((n) => n.op), initializers: inits.map((t) => t.name) };
}

// ------------------------------------------------------------------ onnx.proto encoding
// Field numbers from onnx/onnx.proto (proto2): ModelProto, GraphProto, NodeProto, AttributeProto,
// TensorProto, ValueInfoProto, TypeProto(.Tensor), TensorShapeProto(.Dimension), OperatorSetIdProto.

const ATTR_INT = 2;
const ATTR_INTS = 7;
const TENSOR_FLOAT = 1;

function writeValueInfo(w: ProtoWriter, v: OnnxValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, TENSOR_FLOAT);
      tensor.message(2, (shape) => {
        for (const d of v.shape) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
}

function encodeModel(name: string, nodes: Node[], inits: Initializer[], input: OnnxValueInfo, output: OnnxValueInfo): Uint8Array {
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
        tw.int(2, TENSOR_FLOAT);
        tw.string(8, t.name);
        tw.bytes(9, float32LE(t.data));
      });
    }
    g.message(11, (vw) => writeValueInfo(vw, input));
    g.message(12, (vw) => writeValueInfo(vw, output));
  });
  m.message(8, (op) => op.int(2, ONNX_OPSET));
  return m.finish();
}
