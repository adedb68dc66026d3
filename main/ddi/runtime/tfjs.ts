/**
 * TensorFlow.js implementation of UnitRuntime with real skipping:
 * - BN folded into the convs; tf.fused.conv2d with bias (+ ReLU) to keep per-op overhead low;
 * - a channel-gated conv runs only the kept output filters (conv1) and kept input filters (conv2),
 *   gathered once per channel pattern and cached;
 * - batches: a unit runs on the subset of rows that need it (gather → unit → tensorScatterUpdate)
 *   when that subset is small enough to be cheaper, else on the full batch with a row select.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DdiModel } from '../model';
import { bnScaleShift, foldConv } from '../fold';
import type { TrunkUnit } from '../layout';
import type { ExecPlan, UnitRuntime } from './types';
import { WasmPooler, wasmHeapAccess } from './host-pool';
import { fcRows, hostFc, type HostFc } from '../host-fc';

type T4 = tf.Tensor4D;

interface Folded {
  kernel: T4;
  bias: tf.Tensor1D | null;
}
interface Affine {
  scale: tf.Tensor1D;
  shift: tf.Tensor1D;
}
interface ResBlockW {
  conv1: Folded;
  conv2: Folded;
  proj: Folded | null;
}
interface DenseW {
  bn1: Affine;
  conv1: Folded;
  conv2: T4;
}
interface TransitionW {
  bn: Affine;
  conv: T4;
}
interface HeadW {
  conv: Folded | null;
  bn: Affine | null;
  fcKernel: tf.Tensor2D;
  fcBias: tf.Tensor1D;
  /** The same linear layer on the host (used with in-place pooling on wasm). */
  host: HostFc;
}
interface SubsetW {
  k1: T4;
  b1: tf.Tensor1D | null;
  k2: T4 | null;
  /** Dense layer: index map putting the kept channels back into k slots (zero column at the end). */
  place: tf.Tensor1D | null;
}

/** Fraction of active rows below which gather/scatter beats running the whole batch (measured per backend; main/ddi/README.md "Real skipping"). */
export const SUBSET_THRESHOLD: Record<string, number> = { wasm: 0.8, cpu: 0.9, tensorflow: 0.5 };
/** Cached channel patterns per unit (each holds gathered kernels). */
export const CHANNEL_CACHE_PER_UNIT = 16;

/**
 * Rows of a batch. On wasm and cpu the rows are copied on the host: tfjs-wasm's Gather on the batch
 * axis took ~13 ms for 19 of 64 rows of 28×28×16 (slices + concat ~34 ms), a read-back and copy
 * ~3.6 ms (cpu's read-back is not even a copy). Other backends use tf.gather.
 */
export function gatherRows(x: T4, rows: number[]): T4 {
  const backend = tf.getBackend();
  if (backend !== 'wasm' && backend !== 'cpu') return tf.gather(x, tf.tensor1d(rows, 'int32'));
  const [, h, w, c] = x.shape;
  const per = h * w * c;
  const data = x.dataSync() as Float32Array;
  const out = new Float32Array(rows.length * per);
  rows.forEach((r, i) => out.set(data.subarray(r * per, (r + 1) * per), i * per));
  return tf.tensor4d(out, [rows.length, h, w, c]);
}

function subsetTensors(w: SubsetW): tf.Tensor[] {
  return [w.k1, w.b1, w.k2, w.place].filter((t): t is NonNullable<typeof t> => t !== null);
}

export class TfjsRuntime implements UnitRuntime<tf.Tensor4D> {
  readonly backend: string;
  private readonly trunkUnits: TrunkUnit[];
  private readonly stem: Folded;
  private readonly blocks = new Map<number, ResBlockW | DenseW | TransitionW>();
  private readonly heads: HeadW[] = [];
  private readonly classifier: HeadW;
  private readonly cache = new Map<number, Map<string, SubsetW>>();
  private readonly zeros = new Map<string, T4>();
  private readonly kind: 'resnet' | 'densenet';
  private readonly subsetThreshold: number;
  private disposed = false;
  /** In-place pooling of wasm activations for the gates (null on other backends). */
  private readonly pooler: WasmPooler | null = ((h) => (h ? new WasmPooler(h) : null))(wasmHeapAccess());

  constructor(model: DdiModel) {
    this.backend = tf.getBackend();
    this.subsetThreshold = SUBSET_THRESHOLD[this.backend] ?? 0.5;
    this.kind = model.config.kind;
    this.trunkUnits = model.layout.trunk;
    const vals = model.readValuesSync();
    const get = (n: string) => {
      const v = vals.get(n);
      if (!v) throw new Error(`missing parameter ${n}`);
      return v;
    };
    const spec = (n: string) => model.specs.find((s) => s.name === n)!.shape;
    const affine = (name: string): Affine => {
      const { scale, shift } = bnScaleShift(get, name);
      return { scale: tf.tensor1d(scale), shift: tf.tensor1d(shift) };
    };
    const conv = (name: string, bn?: string): Folded => {
      const k = get(`${name}/kernel`);
      const shape = spec(`${name}/kernel`) as [number, number, number, number];
      if (!bn) return { kernel: tf.tensor4d(k, shape), bias: null };
      const f = foldConv(k, shape[3], get, bn);
      return { kernel: tf.tensor4d(f.kernel, shape), bias: tf.tensor1d(f.bias) };
    };
    const fc = (name: string) => {
      const shape = spec(`${name}/kernel`) as [number, number];
      return {
        fcKernel: tf.tensor2d(get(`${name}/kernel`), shape),
        fcBias: tf.tensor1d(get(`${name}/bias`)),
        host: hostFc(get(`${name}/kernel`), get(`${name}/bias`), shape[0], shape[1]),
      };
    };
    const resnet = this.kind === 'resnet';
    this.stem = conv('stem/conv', resnet ? 'stem/bn' : undefined);
    this.trunkUnits.forEach((u, i) => {
      if (u.kind === 'block') {
        this.blocks.set(i, {
          conv1: conv(`${u.id}/conv1`, `${u.id}/bn1`),
          conv2: conv(`${u.id}/conv2`, `${u.id}/bn2`),
          proj: u.projection ? conv(`${u.id}/proj`, `${u.id}/projbn`) : null,
        });
      } else if (u.kind === 'dense') {
        this.blocks.set(i, { bn1: affine(`${u.id}/bn1`), conv1: conv(`${u.id}/conv1`, `${u.id}/bn2`), conv2: conv(`${u.id}/conv2`).kernel });
      } else if (u.kind === 'transition') {
        this.blocks.set(i, { bn: affine(`${u.id}/bn`), conv: conv(`${u.id}/conv`).kernel });
      }
    });
    for (const e of model.layout.exits) this.heads.push({ conv: conv(`${e.id}/conv`, `${e.id}/bn`), bn: null, ...fc(`${e.id}/fc`) });
    this.classifier = { conv: null, bn: resnet ? null : affine('classifier/bn'), ...fc('classifier/fc') };
  }

  batchOf(x: T4): number {
    return x.shape[0];
  }

  input(data: Float32Array, n: number): T4 {
    const u = this.trunkUnits[0]!;
    // Copy: the cpu backend keeps the caller's array as tensor storage.
    return tf.tensor4d(Float32Array.from(data), [n, u.inH, u.inW, u.inC]);
  }

  trunk(index: number, x: T4, plan: ExecPlan): T4 {
    const u = this.trunkUnits[index]!;
    if (u.kind === 'stem') {
      return tf.tidy(() =>
        tf.fused.conv2d({
          x,
          filter: this.stem.kernel,
          strides: 1,
          pad: 'same',
          bias: this.stem.bias ?? undefined,
          activation: this.kind === 'resnet' ? 'relu' : 'linear',
        }),
      );
    }
    if (u.kind === 'transition') {
      const w = this.blocks.get(index) as TransitionW;
      return tf.tidy(() => {
        const a = tf.relu(tf.add(tf.mul(x, w.bn.scale), w.bn.shift)) as T4;
        return tf.avgPool(tf.conv2d(a, w.conv, 1, 'same'), 2, 2, 'valid');
      });
    }
    const B = x.shape[0];
    if (u.kind === 'block') {
      const w = this.blocks.get(index) as ResBlockW;
      // Rows that skip a downsampling block still go through its projection (SkipNet); others keep x.
      if (plan.rows.length === 0) return w.proj ? tf.tidy(() => this.shortcut(u, w, x)) : x;
      return tf.tidy(() => {
        const pass = w.proj && plan.rows.length < B ? this.shortcut(u, w, x) : x;
        return this.rowsApply(x, plan, (xs, chans, mask) => this.resBlock(index, u, xs, chans, mask), pass);
      });
    }
    // Dense layer: rows that do not run (or keep no channel) get zero new channels.
    const k = u.outC - u.inC;
    return tf.tidy(() => {
      const newFeat = this.denseNew(index, u, x, plan, k, B);
      return tf.concat([x, newFeat], 3);
    });
  }

  /**
   * Runs `f` on the planned rows: the whole batch when every row runs, a gathered subset when few
   * rows run, else the whole batch with a row select. `f` gets the union of kept channels and a
   * [n,1,1,|union|] mask when rows keep different channels. Rows outside the plan get `pass`
   * (x itself, or a skipped downsampling block's shortcut).
   */
  private rowsApply(x: T4, plan: ExecPlan, f: (xs: T4, chans: number[] | null, mask: T4 | null) => T4, pass: T4 = x): T4 {
    const B = x.shape[0];
    const n = plan.rows.length;
    const subset = n < B && n / B < this.subsetThreshold;
    const runRows = n === B || subset ? plan.rows : [...Array(B).keys()];
    const { union, mask } = this.channelUnion(plan, runRows);
    if (n === B) return f(x, union, mask);
    if (subset) {
      const idx = tf.tensor1d(plan.rows, 'int32');
      const ys = f(gatherRows(x, plan.rows), union, mask);
      // Note: on cpu TensorScatterUpdate writes into its input's buffer; x (and pass, a fresh
      // tensor) are dead after trunk() (see types.ts).
      return tf.tensorScatterUpdate(pass, tf.reshape(idx, [n, 1]), ys) as T4;
    }
    const y = f(x, union, mask);
    // Row select as pass + m·(y − pass): tf.where with a broadcast [B,1,1,1] condition costs ~160 ms
    // on wasm for 64×28×28×16 (it materialises and selects element-wise), this blend ~1 ms.
    const sel = new Float32Array(B);
    for (const r of plan.rows) sel[r] = 1;
    return tf.add(pass, tf.mul(tf.tensor4d(sel, [B, 1, 1, 1]), tf.sub(y, pass))) as T4;
  }

  /** Union of kept channels over the executing rows, and a per-row mask if rows differ. */
  private channelUnion(plan: ExecPlan, runRows: number[]): { union: number[] | null; mask: T4 | null } {
    if (!plan.channels) return { union: null, mask: null };
    // One running row (always the case at batch 1): its own channels, no mask.
    if (plan.channels.length === 1) return { union: plan.channels[0]!, mask: null };
    const byRow = new Map<number, number[]>();
    plan.rows.forEach((r, i) => byRow.set(r, plan.channels![i]!));
    const set = new Set<number>();
    for (const c of plan.channels) for (const ch of c) set.add(ch);
    const union = [...set].sort((a, b) => a - b);
    // Rows outside the plan are computed only to be discarded by the row select, so they need no mask.
    const same = plan.channels.every((c) => c.length === union.length);
    if (same || union.length === 0) return { union, mask: null };
    const m = new Float32Array(runRows.length * union.length);
    runRows.forEach((r, i) => {
      const own = byRow.get(r);
      const kept = own ? new Set(own) : null;
      union.forEach((ch, j) => {
        if (!kept || kept.has(ch)) m[i * union.length + j] = 1;
      });
    });
    return { union, mask: tf.tensor4d(m, [runRows.length, 1, 1, union.length]) };
  }

  private subsetWeights(index: number, chans: number[], build: () => SubsetW): SubsetW {
    let m = this.cache.get(index);
    if (!m) {
      m = new Map();
      this.cache.set(index, m);
    }
    const key = chans.join(',');
    let w = m.get(key);
    if (w) {
      // LRU: move to the end.
      m.delete(key);
      m.set(key, w);
      return w;
    }
    const built = tf.tidy(build as unknown as () => tf.TensorContainer) as unknown as SubsetW;
    subsetTensors(built).forEach((t) => tf.keep(t));
    m.set(key, built);
    if (m.size > CHANNEL_CACHE_PER_UNIT) {
      const [oldKey, old] = m.entries().next().value as [string, SubsetW];
      m.delete(oldKey);
      tf.dispose(subsetTensors(old));
    }
    return built;
  }

  /** The projection shortcut (1×1 conv, BN folded, no ReLU: the training path's skip output). */
  private shortcut(u: TrunkUnit, w: ResBlockW, x: T4): T4 {
    return tf.fused.conv2d({ x, filter: w.proj!.kernel, strides: u.stride, pad: 'same', bias: w.proj!.bias! });
  }

  private resBlock(index: number, u: TrunkUnit, x: T4, chans: number[] | null, mask: T4 | null): T4 {
    const w = this.blocks.get(index) as ResBlockW;
    const sc = w.proj ? this.shortcut(u, w, x) : x;
    if (chans && chans.length === 0) return tf.relu(tf.add(sc, w.conv2.bias!)) as T4;
    let k1 = w.conv1.kernel;
    let b1 = w.conv1.bias!;
    let k2 = w.conv2.kernel;
    if (chans && chans.length < u.mid) {
      const s = this.subsetWeights(index, chans, () => {
        const idx = tf.tensor1d(chans, 'int32');
        // A fresh rank-1 bias: wasm's Gather returns data stored with a 4-D shape, which its
        // FusedConv2D rejects as a bias ("only supports rank-1 bias").
        const b1 = tf.tensor1d(tf.gather(w.conv1.bias!, idx).dataSync() as Float32Array);
        return { k1: tf.gather(w.conv1.kernel, idx, 3), b1, k2: tf.gather(w.conv2.kernel, idx, 2), place: null };
      });
      k1 = s.k1;
      b1 = s.b1!;
      k2 = s.k2!;
    }
    let a = tf.fused.conv2d({ x, filter: k1, strides: u.stride, pad: 'same', bias: b1, activation: 'relu' });
    if (mask) a = tf.mul(a, mask);
    const y = tf.fused.conv2d({ x: a, filter: k2, strides: 1, pad: 'same', bias: w.conv2.bias! });
    return tf.relu(tf.add(y, sc)) as T4;
  }

  private zerosOf(shape: number[]): T4 {
    const key = shape.join('x');
    let z = this.zeros.get(key);
    if (!z) {
      z = tf.keep(tf.zeros(shape as [number, number, number, number])) as T4;
      this.zeros.set(key, z);
    }
    return z;
  }

  private denseNew(index: number, u: TrunkUnit, x: T4, plan: ExecPlan, k: number, B: number): T4 {
    const w = this.blocks.get(index) as DenseW;
    const n = plan.rows.length;
    const zeroShape = (rows: number) => [rows, u.outH, u.outW, k];
    const allEmpty = plan.channels !== null && plan.channels.every((c) => c.length === 0);
    if (n === 0 || allEmpty) return this.zerosOf(zeroShape(B));
    const compute = (xs: T4, chans: number[] | null, mask: T4 | null): T4 => {
      const a = tf.relu(tf.add(tf.mul(xs, w.bn1.scale), w.bn1.shift)) as T4;
      const b = tf.fused.conv2d({ x: a, filter: w.conv1.kernel, strides: 1, pad: 'same', bias: w.conv1.bias!, activation: 'relu' });
      if (!chans || chans.length === k) {
        const y = tf.conv2d(b, w.conv2, 1, 'same');
        return mask ? (tf.mul(y, mask) as T4) : y;
      }
      const s = this.subsetWeights(index, chans, () => {
        const idx = tf.tensor1d(chans, 'int32');
        // place[c] = position of channel c among the kept ones, or the zero column appended last.
        const place = new Int32Array(k).fill(chans.length);
        chans.forEach((ch, j) => (place[ch] = j));
        return { k1: tf.gather(w.conv2, idx, 3), b1: null, k2: null, place: tf.tensor1d(place, 'int32') };
      });
      let y = tf.conv2d(b, s.k1, 1, 'same');
      if (mask) y = tf.mul(y, mask);
      const z = this.zerosOf([xs.shape[0], u.outH, u.outW, 1]);
      return tf.gather(tf.concat([y, z], 3), s.place!, 3);
    };
    const subset = n < B && n / B < this.subsetThreshold;
    const rowsRun = n === B || subset ? plan.rows : [...Array(B).keys()];
    const { union, mask } = this.channelUnion(plan, rowsRun);
    if (n === B) return compute(x, union, mask);
    if (subset) {
      const idx = tf.tensor1d(plan.rows, 'int32');
      const ys = compute(gatherRows(x, plan.rows), union, mask);
      // Fresh zeros: the cpu backend's TensorScatterUpdate writes into its input tensor's buffer.
      return tf.tensorScatterUpdate(tf.zeros(zeroShape(B) as [number, number, number, number]), tf.reshape(idx, [n, 1]), ys) as T4;
    }
    const y = compute(x, union, mask);
    const sel = new Float32Array(B);
    for (const r of plan.rows) sel[r] = 1;
    return tf.mul(y, tf.tensor4d(sel, [B, 1, 1, 1])) as T4;
  }

  /**
   * Global average pool as one full-window avgPool: on wasm at batch 1 it costs about a third of
   * tf.mean over H,W (which transposes first) and a sixth of a matMul with a 1/HW row (XNNPACK
   * re-packs the fresh activation as a weight matrix on every call). Measured in micro-benchmarks.
   */
  private gap(x: T4): tf.Tensor2D {
    const [n, h, w, c] = x.shape;
    return tf.reshape(tf.avgPool(x, [h, w], 1, 'valid'), [n, c]);
  }

  pool(x: T4): Float32Array {
    const [, h, w] = x.shape;
    const pooled = this.pooler?.pool(x);
    if (pooled) return pooled;
    // No reshape or tidy: the [n,1,1,C] avgPool output reads back in the same order as [n,C].
    const t = tf.avgPool(x, [h, w], 1, 'valid');
    const out = t.dataSync() as Float32Array;
    t.dispose();
    return Float32Array.from(out);
  }

  head(exit: number, x: T4, rows: number[]): Float32Array {
    const w = exit < 0 ? this.classifier : this.heads[exit];
    if (!w) throw new Error(`no exit ${exit}`);
    const subset = rows.length !== x.shape[0];
    if (this.pooler) {
      // Pool in place and finish on the host: at batch 1 the classifier's tfjs pool + matMul +
      // read-back cost ~0.1 ms of dispatch for 640 MACs.
      const feat = w.bn || w.conv || subset ? tf.tidy(() => this.headFeatures(w, subset ? gatherRows(x, rows) : x)) : x;
      const pooled = this.pooler.pool(feat);
      if (feat !== x) feat.dispose();
      if (pooled) return fcRows(pooled, rows.length, w.host);
    }
    const t = tf.tidy(() => {
      const xs = this.headFeatures(w, subset ? gatherRows(x, rows) : x);
      return tf.fused.matMul({ a: this.gap(xs), b: w.fcKernel, bias: w.fcBias });
    });
    const out = Float32Array.from(t.dataSync() as Float32Array);
    t.dispose();
    return out;
  }

  /** A head's layers before its global pool (pre-activation BN, strided conv), if any. */
  private headFeatures(w: HeadW, xs: T4): T4 {
    if (w.bn) xs = tf.relu(tf.add(tf.mul(xs, w.bn.scale), w.bn.shift)) as T4;
    if (w.conv) xs = tf.fused.conv2d({ x: xs, filter: w.conv.kernel, strides: 2, pad: 'same', bias: w.conv.bias!, activation: 'relu' });
    return xs;
  }

  release(x: T4): void {
    for (const z of this.zeros.values()) if (z === x) return;
    x.dispose();
  }

  clearCache(): void {
    for (const m of this.cache.values()) for (const w of m.values()) tf.dispose(subsetTensors(w));
    this.cache.clear();
    for (const z of this.zeros.values()) z.dispose();
    this.zeros.clear();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.clearCache();
    this.pooler?.dispose();
    const all: tf.Tensor[] = [];
    const folded = (f: Folded | null) => {
      if (f) all.push(f.kernel, ...(f.bias ? [f.bias] : []));
    };
    folded(this.stem);
    for (const w of this.blocks.values()) {
      if ('proj' in w) {
        folded(w.conv1);
        folded(w.conv2);
        folded(w.proj);
      } else if ('bn1' in w) {
        all.push(w.bn1.scale, w.bn1.shift, w.conv2);
        folded(w.conv1);
      } else all.push(w.bn.scale, w.bn.shift, w.conv);
    }
    for (const h of [...this.heads, this.classifier]) {
      folded(h.conv);
      if (h.bn) all.push(h.bn.scale, h.bn.shift);
      all.push(h.fcKernel, h.fcBias);
    }
    tf.dispose(all);
  }
}
