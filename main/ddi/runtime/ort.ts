/**
 * ONNX Runtime implementation of UnitRuntime (onnxruntime-node, CPU execution provider).
 *
 * Every piece the controller drives is its own small ONNX graph exported by main/ddi/onnx (the
 * same folded weights as the tfjs runtime), run through a cached session:
 * - a trunk unit; with channel gating, only the kept filters run (conv1's outputs and conv2's inputs
 *   of a block, conv2's outputs of a dense layer): a new kept pattern runs on the unit's generic
 *   graph, which takes the kept channels as an input and gathers those filters itself (one build per
 *   unit, not per pattern: mgl2s-50 has 65 536 patterns per stage-3 block, and a build costs several
 *   inferences); a pattern that recurs gets a graph holding only its filters, faster to run
 *   (frequency-aware, at most ORT_PATTERN_CACHE_PER_UNIT per unit; see patternGraph); rows of one
 *   batch that keep different channels run the union of their channels with a per-row 0/1 mask
 *   input, as the tfjs runtime does;
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
import { exportOnnxPart, nhwcToNchw, ONNX_KEPT_INPUTS, type OnnxPart } from '../onnx/export';
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

/** Kept-channel patterns per unit that get a graph of their own (each a small session). */
export const ORT_PATTERN_CACHE_PER_UNIT = 32;
/** A kept pattern runs on its unit's generic graph until it has been seen this many times. */
export const ORT_PATTERN_PROMOTE_AFTER = 64;
/** Pattern counts remembered per unit; past this, every count is halved and the zeros are forgotten. */
const ORT_PATTERN_COUNTS_PER_UNIT = 4096;

/** A session and the kept-channel inputs it takes (a generic graph), or none (a graph built for the pattern). */
interface Graph {
  s: OrtSyncSession;
  kept: Record<string, OrtTensorLike> | null;
}

/** A kept pattern seen at a unit: how often, and the graphs it runs on. */
interface PatternEntry {
  count: number;
  /** Its own graph once promoted. */
  own: Graph | null;
  /** The unit's generic graph with this pattern's inputs. */
  generic: Graph | null;
}

export interface OrtRuntimeOptions {
  /** Intra-op threads (default 1). */
  threads?: number;
  /** Run consecutive full-width units as one graph (default true); false runs every unit alone (to measure per-unit overhead). */
  fuse?: boolean;
  /** Kept-filter counts are padded with zero filters to a multiple of this (default 1: no padding). */
  align?: number;
  /** Sightings before a kept pattern gets a graph of its own (default ORT_PATTERN_PROMOTE_AFTER; 1 = at once, Infinity = never). */
  promoteAfter?: number;
}

function alignUp(n: number, a: number): number {
  return n % a === 0 ? n : n + a - (n % a);
}

export class OrtRuntime implements UnitRuntime<OrtAct> {
  readonly backend: string;
  private readonly trunkUnits: TrunkUnit[];
  private readonly last: number;
  private readonly sessions = new Map<string, OrtSyncSession>();
  /** Per unit, every kept pattern seen (bounded by ORT_PATTERN_COUNTS_PER_UNIT). */
  private readonly patterns = new Map<number, Map<string, PatternEntry>>();
  /** Per unit, the patterns holding a graph of their own (at most ORT_PATTERN_CACHE_PER_UNIT). */
  private readonly owned = new Map<number, Set<PatternEntry>>();
  private readonly threads: number;
  private readonly fuse: boolean;
  private readonly align: number;
  private readonly promoteAfter: number;
  /** Session runs, session builds, and runs on a generic kept-channel graph since construction (benchmarks, tests). */
  readonly stats = { runs: 0, builds: 0, generic: 0 };
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
    this.promoteAfter = opts.promoteAfter ?? ORT_PATTERN_PROMOTE_AFTER;
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
      const outs = this.runAll(this.unitGraph(index, chans, mask !== null), this.rowsOf(t, plan.rows), mask);
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
      return this.actOf(this.runAll(this.unitGraph(index, chans, mask !== null), t, mask));
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
      const [ys, yp] = this.runAll(this.unitGraph(index, chans, mask !== null), this.rowsOf(t, running), mask);
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
    const s = x.from === x.to ? this.unitGraph(x.from, x.chans, false) : this.rangeGraph(x, null);
    const [t, pooled] = this.runAll(s, x.t);
    x.t = t!;
    x.pooled = pooled ? (pooled.data as Float32Array) : null;
    x.from = x.to + 1;
    x.chans = null;
    return x;
  }

  /** The pending units of x in one graph, with the classifier after them or their pooled output. */
  private rangeGraph(x: OrtAct, head: 'classifier' | null): OrtSyncSession | Graph {
    const key = `r${x.to}${head ? 'c' : ''}`;
    const { from, to, chans } = x;
    if (!chans) return this.session(`r${from}-${key}`, { kind: 'range', from, to, head, pooled: !head });
    return this.patternGraph(from, `${key}:`, chans, (channels) => ({ kind: 'range', from, to, head, pooled: !head, channels, align: this.align }));
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
      return this.run(this.rangeGraph(x, 'classifier'), x.t).data as Float32Array;
    }
    const t = this.materialize(x).t;
    const s = this.session(exit < 0 ? 'hc' : `h${exit}`, { kind: 'head', head: spec });
    return this.run(s, rows.length === B ? t : this.rowsOf(t, rows)).data as Float32Array;
  }

  release(): void {
    // Tensors are JS-owned buffers: nothing to free.
  }

  clearCache(): void {
    for (const o of this.owned.values()) for (const e of o) e.own!.s.dispose();
    this.owned.clear();
    this.patterns.clear();
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
    for (const o of this.owned.values()) n += o.size;
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

  private runAll(g: OrtSyncSession | Graph, x: OrtTensorLike, mask: OrtTensorLike | null = null): OrtTensorLike[] {
    this.stats.runs++;
    const graph = 'kept' in g ? g : null;
    const s = graph ? graph.s : (g as OrtSyncSession);
    const feeds: Record<string, OrtTensorLike> = { [s.inputNames[0]!]: x };
    if (mask) feeds.mask = mask;
    if (graph?.kept) {
      this.stats.generic++;
      Object.assign(feeds, graph.kept);
    }
    return s.run(feeds);
  }

  private run(s: OrtSyncSession | Graph, x: OrtTensorLike, mask: OrtTensorLike | null = null): OrtTensorLike {
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

  /** Unit `index` at full width, or with kept channels `chans`, optionally with a mask input. */
  private unitGraph(index: number, chans: number[] | null, mask: boolean): OrtSyncSession | Graph {
    if (!chans) return this.session(`u${index}${mask ? 'm' : ''}`, { kind: 'unit', unit: index, pooled: true, mask });
    return this.patternGraph(index, mask ? 'm' : '', chans, (channels) => ({ kind: 'unit', unit: index, pooled: true, channels, mask, align: this.align }));
  }

  /**
   * The graph for kept pattern `chans` at unit `index` (`prefix` names the graph's kind: unit or
   * range, with or without a mask). A graph built for one pattern costs an export and a session
   * build (≈ 2–3 ms, several inferences' worth) and mgl2s-50's third stage alone has 65 536
   * patterns, so a pattern first runs on the unit's generic graph, which takes the kept channels as
   * inputs (built once; its convolutions run ≈ 1.3–2× slower, their weights being run-time values).
   * A pattern seen ORT_PATTERN_PROMOTE_AFTER times gets its own graph while fewer than
   * ORT_PATTERN_CACHE_PER_UNIT patterns of the unit have one, later only when it has been seen at
   * least twice as often as the least-seen of them (which it replaces): without that margin, two
   * patterns of equal frequency would take turns, one build each time. The hit path allocates
   * nothing but the key (this runs before every gated unit).
   */
  private patternGraph(index: number, prefix: string, chans: number[], part: (channels: number[] | 'input') => OnnxPart): Graph {
    let m = this.patterns.get(index);
    if (!m) {
      m = new Map();
      this.patterns.set(index, m);
    }
    const key = prefix + chans.join(',');
    let e = m.get(key);
    if (!e) {
      if (m.size >= ORT_PATTERN_COUNTS_PER_UNIT) forgetRare(m);
      e = { count: 0, own: null, generic: null };
      m.set(key, e);
    }
    e.count++;
    if (e.own) return e.own;
    // A block keeping no channel is a bias and a ReLU: one pattern per graph kind, nothing to share.
    if (chans.length === 0 || (e.count >= this.promoteAfter && this.makeRoom(index, e))) {
      e.own = { s: this.build(part(chans)), kept: null };
      e.generic = null;
      return e.own;
    }
    e.generic ??= { s: this.session(`g${index}${prefix}`, part('input')), kept: this.keptFeeds(this.trunkUnits[index]!, chans) };
    return e.generic;
  }

  /** Whether entry `e` of unit `index` may get a graph of its own; evicts the least-seen owner when the unit is full. */
  private makeRoom(index: number, e: PatternEntry): boolean {
    let o = this.owned.get(index);
    if (!o) {
      o = new Set();
      this.owned.set(index, o);
    }
    if (o.size >= ORT_PATTERN_CACHE_PER_UNIT) {
      let least: PatternEntry | null = null;
      for (const c of o) if (!least || c.count < least.count) least = c;
      if (e.count < 2 * least!.count) return false;
      least!.own!.s.dispose();
      least!.own = null;
      o.delete(least!);
    }
    o.add(e);
    return true;
  }

  /** The kept-channel inputs of a generic graph (export.ts ONNX_KEPT_INPUTS) for pattern `chans`. */
  private keptFeeds(u: TrunkUnit, chans: number[]): Record<string, OrtTensorLike> {
    const width = u.kind === 'block' ? u.mid : u.outC - u.inC;
    // Padding (align > 1) reads the graph's all-zero filter at index `width`.
    const n = alignUp(chans.length, this.align);
    const kept = BigInt64Array.from({ length: n }, (_, j) => BigInt(j < chans.length ? chans[j]! : width));
    const feeds: Record<string, OrtTensorLike> = { [ONNX_KEPT_INPUTS.kept]: new this.ort.Tensor('int64', kept, [n]) };
    if (u.kind === 'dense') {
      const place = new BigInt64Array(width);
      const keep = new Float32Array(width);
      chans.forEach((c, j) => {
        place[c] = BigInt(j);
        keep[c] = 1;
      });
      feeds[ONNX_KEPT_INPUTS.place] = new this.ort.Tensor('int64', place, [width]);
      feeds[ONNX_KEPT_INPUTS.keep] = this.tensor(keep, [1, width, 1, 1]);
    }
    return feeds;
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

/** Halves every pattern count of a unit and forgets the patterns left at zero that hold no graph of their own. */
function forgetRare(m: Map<string, PatternEntry>): void {
  for (const [k, e] of m) {
    e.count >>= 1;
    if (e.count === 0 && !e.own) m.delete(k);
  }
}
