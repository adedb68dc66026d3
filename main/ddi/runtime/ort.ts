/**
 * ONNX Runtime implementation of UnitRuntime (onnxruntime-node, CPU execution provider).
 *
 * Every piece the controller drives is its own small ONNX graph exported by main/ddi/onnx (the
 * same folded weights as the tfjs runtime), run through a cached session:
 * - a trunk unit; with channel gating, a graph holding only the kept filters (conv1's outputs and
 *   conv2's inputs of a block, conv2's outputs of a dense layer), built once per kept pattern and
 *   cached (LRU per unit); rows of one batch that keep different channels run the union of their
 *   channels with a per-row 0/1 mask input, as the tfjs runtime does;
 * - a downsampling block's projection alone, for rows that skip that block;
 * - each exit head and the final classifier.
 * Rows that do not run a unit are never computed: the running rows are copied out (NCHW rows are
 * contiguous), run, and copied back; a skipped block is not run at all.
 *
 * Per-call overhead: each session run costs ≈ 10 µs of fixed overhead plus the NCHWc reorders at
 * the graph's edges and the output copy into a JS buffer (≈ 20–35 µs per unit boundary for
 * ResNet-20 at batch 1, measured; docs/benchmarks.md). So consecutive units that run at full width
 * on every row, with nothing read between them (static mode, units without gates), are not run
 * one by one: `trunk` returns a pending handle and the run of units executes as one cached range
 * graph when something reads it (a gate's pool, a head, a partial unit). In static mode the whole
 * network, classifier included, is one session run. A block whose rows all keep the same channels
 * stays pending the same way, so its kept-channel graph also holds the units and the head after it
 * up to the next read (the classifier after the last gated block).
 *
 * Activations are ORT tensors (NCHW float32) fed from one session's output to the next session's
 * input without conversion.
 */
import type { DdiModel } from '../model';
import type { TrunkUnit } from '../layout';
import { exportOnnxPart, nhwcToNchw, type OnnxPart } from '../onnx/export';
import type { ExecPlan, UnitRuntime } from './types';
import type { OrtBinding, OrtSyncSession, OrtTensorLike } from './ort-binding';

/** An activation: a materialised NCHW feature map plus trunk units still to run on it (from..to). */
export class OrtAct {
  constructor(
    /** The feature map at the input of unit `from`. */
    public t: OrtTensorLike,
    public from: number,
    /** Last pending unit; to < from means nothing pending. */
    public to: number,
    /** Global average pool of `t` [N × C] when the graph that made it computed one. */
    public pooled: Float32Array | null = null,
    /** Kept channels of pending unit `from` (a kept-channel block run together with the units after it); null = all. */
    public chans: number[] | null = null,
  ) {}
  get pending(): boolean {
    return this.to >= this.from;
  }
}

/** Cached kept-channel patterns per unit (each a small session). */
export const ORT_PATTERN_CACHE_PER_UNIT = 32;

export interface OrtRuntimeOptions {
  /** Intra-op threads (default 1). */
  threads?: number;
  /** Run consecutive full-width units as one graph (default true); false runs every unit alone (to measure per-unit overhead). */
  fuse?: boolean;
  /** Kept-filter counts are padded with zero filters to a multiple of this (default 1: no padding). */
  align?: number;
}

function alignUp(n: number, a: number): number {
  return n % a === 0 ? n : n + a - (n % a);
}

export class OrtRuntime implements UnitRuntime<OrtAct> {
  readonly backend: string;
  private readonly trunkUnits: TrunkUnit[];
  private readonly last: number;
  private readonly sessions = new Map<string, OrtSyncSession>();
  private readonly patterns = new Map<number, Map<string, OrtSyncSession>>();
  /** Per unit, the key most recently filed in `patterns` (the LRU's newest entry). */
  private readonly newest = new Map<number, string>();
  private readonly threads: number;
  private readonly fuse: boolean;
  private readonly align: number;
  /** Session runs and session builds since construction (benchmarks, tests). */
  readonly stats = { runs: 0, builds: 0 };
  private disposed = false;

  constructor(
    private readonly model: DdiModel,
    private readonly ort: OrtBinding,
    opts: OrtRuntimeOptions = {},
  ) {
    this.backend = `ort ${ort.version}`;
    this.trunkUnits = model.layout.trunk;
    this.last = this.trunkUnits.length - 1;
    this.threads = opts.threads ?? 1;
    this.fuse = opts.fuse ?? true;
    // No padding: ONNX Runtime's NCHWc layout pass already rounds a conv's filters up to its block
    // (8 with AVX2, 16 with AVX-512) and runs a conv with fewer input channels than a block on the
    // NCHW input directly; padding the kept filters to 8 ourselves made a ResNet-20 block that keeps
    // 4 of 16 channels 15 % slower (76.8 vs 66.8 µs per run, AVX-512 EPYC, batch 1, bench:ort-skipping).
    this.align = opts.align ?? 1;
  }

  batchOf(x: OrtAct): number {
    return x.t.dims[0]!;
  }

  input(data: Float32Array, n: number): OrtAct {
    const u = this.trunkUnits[0]!;
    return new OrtAct(this.tensor(nhwcToNchw(data, n, u.inH, u.inW, u.inC), [n, u.inC, u.inH, u.inW]), 0, -1);
  }

  trunk(index: number, x: OrtAct, plan: ExecPlan): OrtAct {
    const u = this.trunkUnits[index]!;
    const B = this.batchOf(x);
    const n = plan.rows.length;
    const fullWidth = plan.channels === null || plan.channels.every((c) => c.length === u.gatedChannels);
    // Stem and transitions run on every row (as in the tfjs runtime); others when every row runs at full width.
    const full = u.kind === 'stem' || u.kind === 'transition' || (n === B && fullWidth);
    if (full) {
      // A pending run continues only if it ends right before this unit (a skipped block returns its input).
      if (x.pending && x.to !== index - 1) this.materialize(x);
      const y = x.pending ? new OrtAct(x.t, x.from, index, null, x.chans) : new OrtAct(x.t, index, index);
      return this.fuse ? y : this.materialize(y);
    }
    const t = this.materialize(x).t;
    const [, C, H, W] = t.dims as [number, number, number, number];
    if (u.kind === 'block') {
      const proj = u.projection ? this.session(`s${index}`, { kind: 'shortcut', unit: index, pooled: true }) : null;
      if (n === 0) return proj ? this.actOf(this.runAll(proj, t)) : x;
      const { chans, mask } = this.channelsOf(u, plan);
      // Every row keeps the same channels: the kept-channel block stays pending, so it runs in one
      // graph with the units after it that no gate reads between (at least the classifier after the last block).
      if (n === B && !mask && this.fuse) return new OrtAct(t, index, index, null, chans);
      const outs = this.runAll(this.unitSession(index, chans, mask !== null), this.rowsOf(t, plan.rows), mask);
      if (n === B) return this.actOf(outs);
      const ys = outs[0]!;
      const skipped = complement(plan.rows, B);
      const pass = proj ? this.run(proj, this.rowsOf(t, skipped)) : null;
      const out = new Float32Array(B * u.outC * u.outH * u.outW);
      scatterRows(out, ys.data as Float32Array, plan.rows, u.outC * u.outH * u.outW);
      if (pass) scatterRows(out, pass.data as Float32Array, skipped, u.outC * u.outH * u.outW);
      else copyRows(out, t.data as Float32Array, skipped, C * H * W);
      return this.act(this.tensor(out, [B, u.outC, u.outH, u.outW]));
    }
    // Dense layer: NCHW rows are [input channels | new channels]; rows that do not run get zero new channels.
    const allEmpty = plan.channels !== null && plan.channels.every((c) => c.length === 0);
    if (n === B && !allEmpty) {
      const { chans, mask } = this.channelsOf(u, plan);
      return this.actOf(this.runAll(this.unitSession(index, chans, mask !== null), t, mask));
    }
    const outPer = u.outC * u.outH * u.outW;
    const inPer = C * H * W;
    const out = new Float32Array(B * outPer);
    const src = t.data as Float32Array;
    const running = n > 0 && !allEmpty ? plan.rows : [];
    // Rows that run are written whole by the unit's output, so only the others copy their input (a
    // DenseNet's feature map grows with every layer; copying every row was a visible part of a batch).
    for (const r of complement(running, B)) out.set(src.subarray(r * inPer, (r + 1) * inPer), r * outPer);
    let ranPool: Float32Array | null = null;
    if (running.length > 0) {
      const { chans, mask } = this.channelsOf(u, plan);
      const [ys, yp] = this.runAll(this.unitSession(index, chans, mask !== null), this.rowsOf(t, running), mask);
      scatterRows(out, ys!.data as Float32Array, running, outPer);
      ranPool = yp ? (yp.data as Float32Array) : null;
    }
    return new OrtAct(this.tensor(out, [B, u.outC, u.outH, u.outW]), 0, -1, denseLayerPool(x.pooled, ranPool, running, B, C, u.outC));
  }

  /**
   * Kept channels of the executing rows: one row (always at batch 1) or rows that agree run their
   * own channels; rows that differ run the union with a per-row mask. null = all channels.
   */
  private channelsOf(u: TrunkUnit, plan: ExecPlan): { chans: number[] | null; mask: OrtTensorLike | null } {
    if (!plan.channels) return { chans: null, mask: null };
    const first = plan.channels[0]!;
    const same = plan.channels.every((c) => c === first || (c.length === first.length && c.every((v, i) => v === first[i])));
    if (same) return { chans: first.length === u.gatedChannels ? null : first, mask: null };
    const set = new Set<number>();
    for (const c of plan.channels) for (const ch of c) set.add(ch);
    const union = [...set].sort((a, b) => a - b);
    const m = new Float32Array(plan.rows.length * union.length);
    plan.channels.forEach((own, i) => {
      const kept = new Set(own);
      union.forEach((ch, j) => {
        if (kept.has(ch)) m[i * union.length + j] = 1;
      });
    });
    // The mask covers the graph's filters, alignment padding included (zeros there).
    const width = union.length === u.gatedChannels ? union.length : alignUp(union.length, this.align);
    const padded = new Float32Array(plan.rows.length * width);
    for (let i = 0; i < plan.rows.length; i++) padded.set(m.subarray(i * union.length, (i + 1) * union.length), i * width);
    return { chans: union.length === u.gatedChannels ? null : union, mask: this.tensor(padded, [plan.rows.length, width, 1, 1]) };
  }

  /** Runs the pending units of x (one range graph) and makes x hold the result. */
  private materialize(x: OrtAct): OrtAct {
    if (!x.pending) return x;
    const s = x.from === x.to ? this.unitSession(x.from, x.chans, false) : this.rangeSession(x, null);
    const [t, pooled] = this.runAll(s, x.t);
    x.t = t!;
    x.pooled = pooled ? (pooled.data as Float32Array) : null;
    x.from = x.to + 1;
    x.chans = null;
    return x;
  }

  /** The pending units of x in one graph, with the classifier after them or their pooled output. */
  private rangeSession(x: OrtAct, head: 'classifier' | null): OrtSyncSession {
    const key = `r${x.to}${head ? 'c' : ''}`;
    const { from, to, chans } = x;
    if (!chans) return this.session(`r${from}-${key}`, { kind: 'range', from, to, head, pooled: !head });
    return this.patternSession(from, `${key}:${chans.join(',')}`, () => ({ kind: 'range', from, to, head, pooled: !head, channels: chans, align: this.align }));
  }

  pool(x: OrtAct): Float32Array {
    const m = this.materialize(x);
    if (m.pooled) return m.pooled;
    // Rows assembled on the host (a partial batch): pool here.
    const t = m.t;
    const [N, C, H, W] = t.dims as [number, number, number, number];
    const d = t.data as Float32Array;
    const hw = H * W;
    const out = new Float32Array(N * C);
    for (let p = 0; p < N * C; p++) {
      let s = 0;
      for (let i = p * hw, e = i + hw; i < e; i++) s += d[i]!;
      out[p] = s / hw;
    }
    // Kept: a dense layer assembled from this map builds its own pool from it (denseLayerPool).
    m.pooled = out;
    return out;
  }

  head(exit: number, x: OrtAct, rows: number[]): Float32Array {
    const B = this.batchOf(x);
    const spec: 'classifier' | { exit: number } = exit < 0 ? 'classifier' : { exit };
    if (exit >= 0 && !this.model.layout.exits[exit]) throw new Error(`no exit ${exit}`);
    // Static path: the pending units and the classifier in one run.
    if (exit < 0 && x.pending && x.to === this.last && rows.length === B && this.fuse) {
      return this.run(this.rangeSession(x, 'classifier'), x.t).data as Float32Array;
    }
    const t = this.materialize(x).t;
    const s = this.session(exit < 0 ? 'hc' : `h${exit}`, { kind: 'head', head: spec });
    return this.run(s, rows.length === B ? t : this.rowsOf(t, rows)).data as Float32Array;
  }

  release(): void {
    // Tensors are JS-owned buffers: nothing to free.
  }

  clearCache(): void {
    for (const m of this.patterns.values()) for (const s of m.values()) s.dispose();
    this.patterns.clear();
    this.newest.clear();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.clearCache();
    for (const s of this.sessions.values()) s.dispose();
    this.sessions.clear();
  }

  /** Number of cached sessions (tests). */
  sessionCount(): number {
    let n = this.sessions.size;
    for (const m of this.patterns.values()) n += m.size;
    return n;
  }

  private tensor(data: Float32Array, dims: number[]): OrtTensorLike {
    return new this.ort.Tensor('float32', data, dims);
  }

  private act(t: OrtTensorLike): OrtAct {
    return new OrtAct(t, 0, -1);
  }

  /** A materialised activation from a session's outputs (feature map, and its pool when computed). */
  private actOf([t, pooled]: OrtTensorLike[]): OrtAct {
    return new OrtAct(t!, 0, -1, pooled ? (pooled.data as Float32Array) : null);
  }

  private runAll(s: OrtSyncSession, x: OrtTensorLike, mask: OrtTensorLike | null = null): OrtTensorLike[] {
    this.stats.runs++;
    const feeds: Record<string, OrtTensorLike> = { [s.inputNames[0]!]: x };
    if (mask) feeds.mask = mask;
    return s.run(feeds);
  }

  private run(s: OrtSyncSession, x: OrtTensorLike, mask: OrtTensorLike | null = null): OrtTensorLike {
    return this.runAll(s, x, mask)[0]!;
  }

  private build(part: OnnxPart): OrtSyncSession {
    this.stats.builds++;
    return this.ort.createSession(exportOnnxPart(this.model, part).bytes, { intraOpThreads: this.threads });
  }

  private session(key: string, part: OnnxPart): OrtSyncSession {
    let s = this.sessions.get(key);
    if (!s) {
      s = this.build(part);
      this.sessions.set(key, s);
    }
    return s;
  }

  /** Unit `index` at full width, or with kept channels `chans` (LRU-cached per pattern), optionally with a mask input. */
  private unitSession(index: number, chans: number[] | null, mask: boolean): OrtSyncSession {
    if (!chans && !mask) return this.session(`u${index}`, { kind: 'unit', unit: index, pooled: true });
    const key = `${mask ? 'm' : ''}${chans ? chans.join(',') : '*'}`;
    return this.patternSession(index, key, () => ({ kind: 'unit', unit: index, pooled: true, channels: chans, mask, align: this.align }));
  }

  /**
   * A kept-pattern graph starting at unit `index`, LRU-cached per unit; `part` is called on a miss only.
   * This runs before every gated unit, so a hit allocates nothing (building the part object with a
   * spread on every call was 3 % of a batch-1 inference in a CPU profile) and re-files the entry
   * only when it is not already the newest.
   */
  private patternSession(index: number, key: string, part: () => OnnxPart): OrtSyncSession {
    let m = this.patterns.get(index);
    if (!m) {
      m = new Map();
      this.patterns.set(index, m);
    }
    let s = m.get(key);
    if (s) {
      if (this.newest.get(index) !== key) {
        m.delete(key);
        m.set(key, s);
        this.newest.set(index, key);
      }
      return s;
    }
    s = this.build(part());
    m.set(key, s);
    this.newest.set(index, key);
    if (m.size > ORT_PATTERN_CACHE_PER_UNIT) {
      const [oldKey, old] = m.entries().next().value as [string, OrtSyncSession];
      m.delete(oldKey);
      old.dispose();
    }
    return s;
  }

  /** Rows `rows` of an NCHW tensor as a new tensor. */
  private rowsOf(t: OrtTensorLike, rows: number[]): OrtTensorLike {
    const dims = t.dims as [number, number, number, number];
    const per = dims[1] * dims[2] * dims[3];
    const src = t.data as Float32Array;
    if (rows.length === dims[0]) return t;
    const out = new Float32Array(rows.length * per);
    rows.forEach((r, i) => out.set(src.subarray(r * per, (r + 1) * per), i * per));
    return this.tensor(out, [rows.length, dims[1], dims[2], dims[3]]);
  }
}

/**
 * The pool of a dense layer's output assembled on the host, without a pass over the map: a row that
 * did not run has its input's pool and zero new channels; a row that ran has the unit graph's pool.
 * null when the input's pool is not known (or the rows that ran have none).
 */
function denseLayerPool(inPool: Float32Array | null, ranPool: Float32Array | null, ran: number[], B: number, inC: number, outC: number): Float32Array | null {
  if (!inPool || (ran.length > 0 && !ranPool)) return null;
  const out = new Float32Array(B * outC);
  for (let r = 0; r < B; r++) out.set(inPool.subarray(r * inC, (r + 1) * inC), r * outC);
  if (ranPool) scatterRows(out, ranPool, ran, outC);
  return out;
}

function complement(rows: number[], B: number): number[] {
  const inPlan = new Set(rows);
  const out: number[] = [];
  for (let r = 0; r < B; r++) if (!inPlan.has(r)) out.push(r);
  return out;
}

/** out[rows[i]] = src[i] for rows of `per` values. */
function scatterRows(out: Float32Array, src: Float32Array, rows: number[], per: number): void {
  rows.forEach((r, i) => out.set(src.subarray(i * per, (i + 1) * per), r * per));
}

/** out[r] = src[r] for the listed rows. */
function copyRows(out: Float32Array, src: Float32Array, rows: number[], per: number): void {
  for (const r of rows) out.set(src.subarray(r * per, (r + 1) * per), r * per);
}
