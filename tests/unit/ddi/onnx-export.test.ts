import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { DdiEngine } from '../../../main/ddi/engine';
import { BN_EPSILON, DdiModel, type InputNormalization } from '../../../main/ddi/model';
import { initValues, mulberry32, paramSpecs } from '../../../main/ddi/params';
import { buildLayout } from '../../../main/ddi/layout';
import { resnetConfig, type ModelConfig } from '../../../main/ddi/config';
import { isUserError } from '../../../main/util/errors';
import { exportOnnx, loadOnnxRuntime, nhwcToNchw, ONNX_IR_VERSION, ONNX_OPSET, ProtoWriter, runFloat, type OnnxExportOptions } from '../../../main/ddi/onnx';
import { randomImages, tinyDensenet } from './fixtures';

const BACKEND = (process.env.DDI_TEST_BACKEND as 'cpu' | 'wasm' | undefined) ?? 'wasm';
const TINY_DIR = 'tests/fixtures/models/tiny-random-test';

// ------------------------------------------------------------------ a protobuf reader for the checks
// Written independently of the writer, so a writer bug cannot cancel itself out.

interface Field {
  field: number;
  wire: number;
  /** varint / fixed32 (as float) value, or the bytes of a length-delimited field. */
  num: number;
  bytes: Uint8Array;
}

function decode(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let p = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (p >= buf.length) throw new Error('truncated varint');
      const b = buf[p++]!;
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
      shift += 7n;
    }
  };
  while (p < buf.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ field, wire, num: Number(BigInt.asIntN(64, varint())), bytes: new Uint8Array() });
    else if (wire === 2) {
      const len = Number(varint());
      if (p + len > buf.length) throw new Error('length-delimited field runs past the end');
      out.push({ field, wire, num: len, bytes: buf.subarray(p, p + len) });
      p += len;
    } else if (wire === 5) {
      out.push({ field, wire, num: new DataView(buf.buffer, buf.byteOffset + p, 4).getFloat32(0, true), bytes: new Uint8Array() });
      p += 4;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  return out;
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const all = (fs: Field[], n: number) => fs.filter((f) => f.field === n);
const one = (fs: Field[], n: number): Field => {
  const m = all(fs, n);
  if (m.length !== 1) throw new Error(`expected one field ${n}, found ${m.length}`);
  return m[0]!;
};

interface DecodedTensor {
  name: string;
  dims: number[];
  dataType: number;
  data: Float32Array;
}
function decodeTensor(b: Uint8Array): DecodedTensor {
  const fs = decode(b);
  const raw = one(fs, 9).bytes;
  const data = new Float32Array(raw.length / 4);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.length);
  for (let i = 0; i < data.length; i++) data[i] = dv.getFloat32(i * 4, true);
  return { name: text(one(fs, 8).bytes), dims: all(fs, 1).map((f) => f.num), dataType: one(fs, 2).num, data };
}

interface DecodedNode {
  op: string;
  inputs: string[];
  outputs: string[];
  ints: Map<string, number[]>;
}
function decodeNode(b: Uint8Array): DecodedNode {
  const fs = decode(b);
  const ints = new Map<string, number[]>();
  for (const a of all(fs, 5)) {
    const af = decode(a.bytes);
    const type = one(af, 20).num;
    ints.set(text(one(af, 1).bytes), type === 2 ? [one(af, 3).num] : all(af, 8).map((f) => f.num));
  }
  return { op: text(one(fs, 4).bytes), inputs: all(fs, 1).map((f) => text(f.bytes)), outputs: all(fs, 2).map((f) => text(f.bytes)), ints };
}

/** Shape of a ValueInfoProto: numbers for dim_value, strings for dim_param. */
function decodeValueInfo(b: Uint8Array): { name: string; elemType: number; shape: (number | string)[] } {
  const fs = decode(b);
  const tensor = decode(one(decode(one(fs, 2).bytes), 1).bytes);
  const dims = all(decode(one(tensor, 2).bytes), 1).map((d) => {
    const df = decode(d.bytes);
    return all(df, 2).length ? text(one(df, 2).bytes) : one(df, 1).num;
  });
  return { name: text(one(fs, 1).bytes), elemType: one(tensor, 1).num, shape: dims };
}

function decodeModel(bytes: Uint8Array) {
  const top = decode(bytes);
  const graph = decode(one(top, 7).bytes);
  return {
    top,
    irVersion: one(top, 1).num,
    producer: text(one(top, 2).bytes),
    opsets: all(top, 8).map((o) => {
      const of = decode(o.bytes);
      return { domain: all(of, 1).length ? text(one(of, 1).bytes) : '', version: one(of, 2).num };
    }),
    graphName: text(one(graph, 2).bytes),
    nodes: all(graph, 1).map((n) => decodeNode(n.bytes)),
    initializers: all(graph, 5).map((t) => decodeTensor(t.bytes)),
    inputs: all(graph, 11).map((v) => decodeValueInfo(v.bytes)),
    outputs: all(graph, 12).map((v) => decodeValueInfo(v.bytes)),
  };
}

// ------------------------------------------------------------------ models

/** Random weights with non-trivial BN statistics, so BN folding is actually exercised. */
function randomValues(cfg: ModelConfig, seed: number): Map<string, Float32Array> {
  const rand = mulberry32(seed);
  const values = new Map<string, Float32Array>();
  for (const s of paramSpecs(buildLayout(cfg))) {
    const v = initValues(s, rand);
    const range = (lo: number, hi: number) => v.forEach((_, i) => (v[i] = lo + (hi - lo) * rand()));
    if (s.name.endsWith('/gamma')) range(0.5, 1.5);
    else if (s.name.endsWith('/beta')) range(-0.3, 0.3);
    else if (s.name.endsWith('/mean')) range(-0.4, 0.4);
    else if (s.name.endsWith('/variance')) range(0.3, 2);
    values.set(s.name, v);
  }
  return values;
}

/** Odd input sizes: 'same' padding of the stride-2 stages is then symmetric at one and asymmetric at the other. */
function oddResnet(gated: boolean): ModelConfig {
  return resnetConfig({
    blocksPerStage: [1, 2, 1],
    widths: [4, 6, 10],
    input: { height: 10, width: 9, channels: 2 },
    numClasses: 5,
    gates: gated ? { layer: true, channel: true, groupSize: 2, channelHidden: 4, layerHidden: 3 } : { layer: false, channel: false },
    exits: gated ? { afterUnit: [0, 2], headWidth: 4 } : { afterUnit: [] },
    name: 'odd-resnet',
  });
}

function scaleTol(ref: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(ref[i]!));
  return 1e-4 * Math.max(1, m);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function expectUserError(f: () => unknown, pattern: RegExp): void {
  try {
    f();
  } catch (e) {
    expect(isUserError(e)).toBe(true);
    expect((e as Error).message).toMatch(pattern);
    return;
  }
  throw new Error('expected a UserError');
}

let engine: DdiEngine;
beforeAll(async () => {
  engine = await DdiEngine.create({ backend: BACKEND });
});
afterAll(() => engine.dispose());

describe('protobuf writer', () => {
  it('encodes varints, negative int64, floats, strings and nested messages as the wire format defines', () => {
    const w = new ProtoWriter();
    w.int(1, 300)
      .int(2, 0)
      .int(3, -1)
      .float(4, 1.5)
      .string(5, 'ab')
      .int(6, 2 ** 40 + 5);
    w.message(7, (m) => m.int(1, 150));
    const b = w.finish();
    // Field 1, varint 300: key 0x08, then 0xAC 0x02 (protobuf's own encoding example).
    expect(Array.from(b.subarray(0, 3))).toEqual([0x08, 0xac, 0x02]);
    const fs = decode(b);
    expect(fs.map((f) => [f.field, f.wire])).toEqual([
      [1, 0],
      [2, 0],
      [3, 0],
      [4, 5],
      [5, 2],
      [6, 0],
      [7, 2],
    ]);
    expect(fs[0]!.num).toBe(300);
    expect(fs[2]!.num).toBe(-1);
    expect(fs[3]!.num).toBe(1.5);
    expect(text(fs[4]!.bytes)).toBe('ab');
    expect(fs[5]!.num).toBe(2 ** 40 + 5);
    expect(decode(fs[6]!.bytes)).toEqual([{ field: 1, wire: 0, num: 150, bytes: new Uint8Array() }]);
    // -1 as int64 takes 10 bytes.
    expect(new ProtoWriter().int(1, -1).length).toBe(11);
    expect(() => new ProtoWriter().int(1, 0.5)).toThrow(RangeError);
  });
});

describe('exportOnnx: structure of the ModelProto', () => {
  it('top-level fields, opset, input/output value infos and initializer sizes', () => {
    const cfg = oddResnet(false);
    const model = new DdiModel(cfg, randomValues(cfg, 3));
    const ex = exportOnnx(model);
    const d = decodeModel(ex.bytes);
    model.dispose();
    expect([...new Set(d.top.map((f) => f.field))].sort((a, b) => a - b)).toEqual([1, 2, 7, 8]);
    expect(d.irVersion).toBe(ONNX_IR_VERSION);
    expect(d.producer).toBe('ddi-profiler');
    expect(d.opsets).toEqual([{ domain: '', version: ONNX_OPSET }]);
    expect(d.graphName).toBe('odd-resnet');
    expect(d.inputs).toEqual([{ name: 'image', elemType: 1, shape: ['N', 2, 10, 9] }]);
    expect(d.outputs).toEqual([{ name: ex.output.name, elemType: 1, shape: ['N', 5] }]);
    expect(d.nodes.map((n) => n.op)).toEqual(ex.ops);
    for (const t of d.initializers) {
      expect(t.dataType).toBe(1);
      expect(t.data.length).toBe(t.dims.reduce((a, b) => a * b, 1));
    }
    // Every node input is the graph input, an initializer or an earlier node's output.
    const known = new Set(['image', ...d.initializers.map((t) => t.name)]);
    for (const n of d.nodes) {
      for (const i of n.inputs) expect(known.has(i), `${n.op} reads undefined ${i}`).toBe(true);
      n.outputs.forEach((o) => known.add(o));
    }
    expect(known.has(d.outputs[0]!.name)).toBe(true);
    // Stem + 4 blocks × 2 convs + 2 projections (stride-2 stages), one Gemm.
    expect(d.nodes.filter((n) => n.op === 'Conv')).toHaveLength(1 + 8 + 2);
    expect(d.nodes.filter((n) => n.op === 'Gemm')).toHaveLength(1);
  });

  it('folds BN into OIHW kernels and pads like tfjs "same" (asymmetric at stride 2 on even sizes)', () => {
    const cfg = oddResnet(false);
    const values = randomValues(cfg, 4);
    const model = new DdiModel(cfg, values);
    const d = decodeModel(exportOnnx(model).bytes);
    model.dispose();
    const init = (n: string) => d.initializers.find((t) => t.name === n)!;
    // block1 is the first stride-2 block: input 10×9, kernel shape [3,3,4,6] in HWIO.
    const W = init('block1/conv1/W');
    expect(W.dims).toEqual([6, 4, 3, 3]);
    const k = values.get('block1/conv1/kernel')!;
    const g = values.get('block1/bn1/gamma')!;
    const v = values.get('block1/bn1/variance')!;
    for (let o = 0; o < 6; o++)
      for (let i = 0; i < 4; i++)
        for (let y = 0; y < 3; y++)
          for (let x = 0; x < 3; x++) {
            const want = k[((y * 3 + x) * 4 + i) * 6 + o]! * (g[o]! / Math.sqrt(v[o]! + BN_EPSILON));
            expect(W.data[((o * 4 + i) * 3 + y) * 3 + x]!).toBeCloseTo(want, 5);
          }
    const b = init('block1/conv1/B');
    const beta = values.get('block1/bn1/beta')!;
    const mean = values.get('block1/bn1/mean')!;
    b.data.forEach((bv, o) => expect(bv).toBeCloseTo(beta[o]! - (mean[o]! * g[o]!) / Math.sqrt(v[o]! + BN_EPSILON), 5));
    const conv = (name: string) => d.nodes.find((n) => n.op === 'Conv' && n.outputs[0] === name)!;
    // 10 rows at stride 2 → 5: one extra padding row, at the bottom; 9 columns → 5: one each side.
    expect(conv('block1/conv1').ints.get('pads')).toEqual([0, 1, 1, 1]);
    expect(conv('block1/conv1').ints.get('strides')).toEqual([2, 2]);
    expect(conv('block1/proj').ints.get('pads')).toEqual([0, 0, 0, 0]);
    // 5×5 at stride 2 → 3×3: symmetric.
    expect(conv('block3/conv1').ints.get('pads')).toEqual([1, 1, 1, 1]);
    expect(conv('block0/conv1').ints.get('pads')).toEqual([1, 1, 1, 1]);
  });

  it('a model with gates and exits exports only its static path: same bytes as the ungated backbone', () => {
    const gatedCfg = oddResnet(true);
    const plainCfg = oddResnet(false);
    const gatedValues = randomValues(gatedCfg, 5);
    const plainValues = new Map([...gatedValues].filter(([n]) => paramSpecs(buildLayout(plainCfg)).some((s) => s.name === n)));
    expect(plainValues.size).toBeLessThan(gatedValues.size);
    const gated = new DdiModel(gatedCfg, gatedValues);
    const plain = new DdiModel(plainCfg, plainValues);
    const a = exportOnnx(gated);
    const b = exportOnnx(plain);
    gated.dispose();
    plain.dispose();
    expect(a.initializers.some((n) => n.startsWith('gate') || n.startsWith('exit'))).toBe(false);
    expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
  });

  it('exports unit ranges and heads with the right graph input and output shapes', () => {
    const cfg = oddResnet(true);
    const model = new DdiModel(cfg, randomValues(cfg, 6));
    const lay = model.layout;
    const mid = exportOnnx(model, { from: 2, to: 3, batch: 4 });
    expect(mid.head).toBe('none');
    expect(mid.input).toEqual({ name: 'block1/in', shape: [4, 4, 10, 9] });
    expect(mid.output.shape).toEqual([4, lay.trunk[3]!.outC, 5, 5]);
    const dm = decodeModel(mid.bytes);
    expect(dm.inputs[0]!.shape).toEqual([4, 4, 10, 9]);
    expect(dm.initializers.every((t) => t.name.startsWith('block1/') || t.name.startsWith('block2/'))).toBe(true);
    const e = lay.exits[1]!;
    const ex = exportOnnx(model, { to: e.afterTrunk, head: { exit: 1 } });
    expect(ex.output.shape).toEqual(['N', 5]);
    expect(ex.initializers).toContain('exit1/fc/kernel');
    expect(ex.initializers.some((n) => n.startsWith('exit0'))).toBe(false);
    model.dispose();
  });

  it('bad options get one UserError naming the problem and the fix', () => {
    const cfg = oddResnet(true);
    const model = new DdiModel(cfg, randomValues(cfg, 7));
    const last = model.layout.trunk.length - 1;
    const cases: [OnnxExportOptions, RegExp][] = [
      [{ from: 3, to: 1 }, /from = 3 comes after to = 1; pass from ≤ to/],
      [{ to: last + 1 }, /to = \d+ is not a trunk unit .* pass an index/],
      [{ to: 2, head: 'classifier' }, /pass to: \d+ or head: 'none'/],
      [{ to: 2, head: { exit: 0 } }, /exit 0 reads trunk unit 1 but to = 2; pass to: 1/],
      [{ head: { exit: 9 } }, /no exit 9/],
      [{ batch: 0 }, /batch = 0 is not a positive integer/],
      [{ from: 1, normalization: { mean: [0, 0], std: [1, 1] } }, /drop normalization or export from 0/],
      [{ normalization: { mean: [0], std: [1] } }, /1 means and 1 stds for 2 input channels/],
    ];
    for (const [opts, re] of cases) expectUserError(() => exportOnnx(model, opts), re);
    model.dispose();
  });
});

// ------------------------------------------------------------------ numerics in onnxruntime-node

const ortLoad = loadOnnxRuntime();
if (!ortLoad.ok) console.warn(`onnx-export tests: skipping the onnxruntime comparisons: ${ortLoad.reason}`);

describe.runIf(ortLoad.ok)('exported graphs in onnxruntime-node match the engine', () => {
  const ort = ortLoad.ok ? ortLoad.ort : null!;

  async function runOnnx(bytes: Uint8Array, data: Float32Array, dims: number[]): Promise<Float32Array> {
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    try {
      return await runFloat(ort, session, data, dims);
    } finally {
      await session.release();
    }
  }

  /** The engine's static mode on raw NHWC images (it normalises with the model's stored normalisation). */
  function engineLogits(images: Float32Array, n: number): Float32Array {
    const recs = engine.infer(images, n, { mode: 'static', batchSize: n });
    return Float32Array.from(recs.flatMap((r) => r.logits));
  }

  it('tests/fixtures/models/tiny-random-test, normalisation inside the graph, dynamic and fixed batch', async () => {
    engine.loadModel(TINY_DIR);
    const norm = (JSON.parse(readFileSync(`${TINY_DIR}/model.json`, 'utf8')) as { normalization: InputNormalization }).normalization;
    const n = 5;
    const images = randomImages(n, 28, 28, 1, 11);
    const ref = engineLogits(images, n);
    const nchw = nhwcToNchw(images, n, 28, 28, 1);
    for (const batch of ['dynamic', n] as const) {
      const got = await runOnnx(exportOnnx(engine.model, { normalization: norm, batch }).bytes, nchw, [n, 1, 28, 28]);
      expect(maxAbsDiff(got, ref)).toBeLessThanOrEqual(scaleTol(ref));
    }
    // Without the normalisation the graph expects normalised input.
    const normed = nhwcToNchw(engine.normalize(images), n, 28, 28, 1);
    const got = await runOnnx(exportOnnx(engine.model).bytes, normed, [n, 1, 28, 28]);
    expect(maxAbsDiff(got, ref)).toBeLessThanOrEqual(scaleTol(ref));
    // The logits are not degenerate (a constant graph would also "agree" with a constant engine).
    expect(new Set(Array.from(ref).map((x) => x.toFixed(3))).size).toBeGreaterThan(10);
  });

  /** A model with random BN statistics in the engine's static mode and in onnxruntime, on the same images. */
  async function compareStatic(cfg: ModelConfig, seed: number, n: number): Promise<void> {
    engine.useModel(new DdiModel(cfg, randomValues(cfg, seed)));
    const { height: h, width: w, channels: c } = cfg.input;
    const images = randomImages(n, h, w, c, seed + 100);
    const ref = engineLogits(images, n);
    const got = await runOnnx(exportOnnx(engine.model).bytes, nhwcToNchw(images, n, h, w, c), [n, c, h, w]);
    expect(maxAbsDiff(got, ref)).toBeLessThanOrEqual(scaleTol(ref));
  }

  it('ResNet with stride-2 projection stages, odd sizes, random BN statistics, 2 input channels', async () => {
    await compareStatic(oddResnet(true), 8, 4);
  });

  it('DenseNet-BC (pre-activation BN, concatenation, transitions), random BN statistics', async () => {
    await compareStatic(tinyDensenet({ input: { height: 9, width: 9, channels: 1 } }), 9, 3);
  });

  it('unit ranges chain to the whole network, and an exit head matches the training path', async () => {
    const cfg = oddResnet(true);
    const model = new DdiModel(cfg, randomValues(cfg, 10));
    const n = 3;
    const images = randomImages(n, 10, 9, 2, 14);
    const x = nhwcToNchw(images, n, 10, 9, 2);
    const whole = await runOnnx(exportOnnx(model).bytes, x, [n, 2, 10, 9]);
    const a = exportOnnx(model, { to: 2 });
    const feat = await runOnnx(a.bytes, x, [n, 2, 10, 9]);
    expect(feat.length).toBe(n * (a.output.shape.slice(1) as number[]).reduce((p, q) => p * q, 1));
    const b = exportOnnx(model, { from: 3 });
    const chained = await runOnnx(b.bytes, feat, [n, ...(b.input.shape.slice(1) as number[])]);
    expect(maxAbsDiff(chained, whole)).toBeLessThanOrEqual(scaleTol(whole));
    const e = model.layout.exits[1]!;
    const ref = tf.tidy(() => model.forwardTrain(tf.tensor4d(images, [n, 10, 9, 2]), { training: false, gates: 'all-on' }).exitLogits[1]!.dataSync());
    const got = await runOnnx(exportOnnx(model, { to: e.afterTrunk, head: { exit: 1 } }).bytes, x, [n, 2, 10, 9]);
    expect(maxAbsDiff(got, ref)).toBeLessThanOrEqual(scaleTol(ref));
    model.dispose();
  });
});
