/**
 * Time alignment of the meter's trace with the host clock, from the alignment pattern.
 *
 * Sign convention (used everywhere in main/profile/): the meter's stored sample times lag the host by
 * `offsetNs`, i.e.
 *
 *     trueSampleTime = storedSampleTime − offsetNs      and      traceTime(hostTime) = hostTime + offsetNs
 *
 * so something that happened on the host at session-relative time h shows in the stored trace at
 * h + offsetNs (a transport delay of 30 ms gives offsetNs ≈ +30 ms). With a drift estimate the offset
 * grows linearly: traceTime(h) = h + offsetNs + driftPpm·1e-6·(h − refNs).
 *
 * Method: (1) the expected ±1 waveform of the schedule is cross-correlated with the mean-removed trace
 * at every lag of the search range (Pearson correlation over the pattern's window, evaluated exactly
 * on the zero-order-hold trace from prefix sums, so each lag costs O(slots)); (2) around the best lag
 * every internal edge of the pattern is located to sub-sample precision by its area: for a step from
 * level A to level B inside [a, b], ∫x = A·(τ − a) + B·(b − τ) gives τ. The offset is the robust mean
 * of the per-edge offsets, its uncertainty their standard error. An area-based edge time is the
 * centroid of the step response, so a meter's own smoothing (rise time) appears as part of the offset,
 * which is what energy integration over shifted windows needs.
 */
import { chunkEndNs, type PowerChunk, type TraceGap } from './power';
import { internalEdges, patternDurationNs, type PatternSchedule } from './pattern';

/** Evenly sampled power from t0Ns (session-relative ns); NaN marks a sample with no data. */
export interface UniformTrace {
  t0Ns: number;
  periodNs: number;
  power: ArrayLike<number>;
}

export interface AlignOptions {
  /** Smallest offset searched, ns (default −20 ms). */
  searchMinNs?: number;
  /** Largest offset searched, ns (default +200 ms: USB and driver batching add 0–50 ms and more). */
  searchMaxNs?: number;
  /** Correlation at the peak below which the alignment is not trusted (default 0.5). */
  minStrength?: number;
  /** Peak / best competing peak (beyond ±1 slot) below which the peak is ambiguous (default 2). */
  minPeakRatio?: number;
  /** Standard error of the offset above which it is not trusted (default slot / 10). */
  maxUncertaintyNs?: number;
  /**
   * Session-relative host times at which the pattern's internal edges actually happened, in the
   * order of internalEdges(schedule). The thread wakes late for a rising edge (more so on a loaded
   * machine); with the actual times the edge fit compares like with like.
   */
  edgeTimesNs?: number[];
}

export interface Alignment {
  /** Stored trace time − host time, ns (see the module comment). 0 when it could not be estimated. */
  offsetNs: number;
  /** Meter clock drift against the host, ppm; 0 unless two patterns were combined. */
  driftPpm: number;
  /** Session-relative host time at which offsetNs holds (the pattern's centre). */
  refNs: number;
  /** Standard error of offsetNs from the scatter of the per-edge estimates; null when not estimated. */
  uncertaintyNs: number | null;
  /** Normalised correlation at the peak, 0..1. */
  strength: number;
  /** Correlation peak / best competing peak more than one slot away (capped at 1000). */
  peakRatio: number;
  /** Distance of the best competing peak from the peak, ns (null if none was found). */
  competitorLagNs: number | null;
  /** Number of pattern edges the offset was fitted from. */
  edgesUsed: number;
  trusted: boolean;
  /** One sentence when not trusted, else null. */
  reason: string | null;
  method: string;
}

const DEFAULTS = { searchMinNs: -20e6, searchMaxNs: 200e6, minStrength: 0.5, minPeakRatio: 2 };
const METHOD_ONE = 'm-sequence cross-correlation, area-based edge fit; drift not estimated (one pattern)';
const METHOD_TWO = 'm-sequence cross-correlation, area-based edge fit; drift from two patterns';

/** Prefix sums over the zero-order-hold trace, in sample-index coordinates u = (t − t0) / period. */
class Integrator {
  readonly n: number;
  private readonly x: Float64Array;
  private readonly f: Float64Array;
  private readonly g: Float64Array;
  private readonly bad: Int32Array;

  constructor(power: ArrayLike<number>) {
    const n = power.length;
    this.n = n;
    let sum = 0;
    let valid = 0;
    for (let i = 0; i < n; i++) {
      const v = power[i]!;
      if (Number.isFinite(v)) {
        sum += v;
        valid++;
      }
    }
    // Centred values keep Σx² − (Σx)²/D well conditioned; missing samples become the mean (they
    // are reported as a gap when they fall inside the pattern).
    const mean = valid > 0 ? sum / valid : 0;
    this.x = new Float64Array(n);
    this.f = new Float64Array(n + 1);
    this.g = new Float64Array(n + 1);
    this.bad = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) {
      const v = power[i]!;
      const ok = Number.isFinite(v);
      const c = ok ? v - mean : 0;
      this.x[i] = c;
      this.f[i + 1] = this.f[i]! + c;
      this.g[i + 1] = this.g[i]! + c * c;
      this.bad[i + 1] = this.bad[i]! + (ok ? 0 : 1);
    }
  }

  private cum(arr: Float64Array, u: number, sq: boolean): number {
    if (u <= 0) return 0;
    if (u >= this.n) return arr[this.n]!;
    const k = Math.floor(u);
    const v = this.x[k]!;
    return arr[k]! + (u - k) * (sq ? v * v : v);
  }

  /** ∫x du over [a, b] (index units; multiply by the period for value·ns). */
  sum(a: number, b: number): number {
    return this.cum(this.f, b, false) - this.cum(this.f, a, false);
  }

  sumSq(a: number, b: number): number {
    return this.cum(this.g, b, true) - this.cum(this.g, a, true);
  }

  /** True when a sample without data touches [a, b). */
  hasBad(a: number, b: number): boolean {
    const lo = Math.max(0, Math.floor(a));
    const hi = Math.min(this.n, Math.ceil(b));
    return hi > lo && this.bad[hi]! - this.bad[lo]! > 0;
  }
}

/**
 * Estimates the offset from one pattern. `hostStartNs` is the session-relative host time of the
 * schedule's time 0; `trace` must cover the pattern shifted by the search range.
 */
export function alignPattern(trace: UniformTrace, schedule: PatternSchedule, hostStartNs: number, options: AlignOptions = {}): Alignment {
  const o = { ...DEFAULTS, ...options };
  const maxUncertaintyNs = options.maxUncertaintyNs ?? schedule.slotNs / 10;
  const p = trace.periodNs;
  const slotU = schedule.slotNs / p;
  const nSlots = schedule.bits.length;
  const w = schedule.bits.map((b) => (b === 1 ? 1 : -1));
  const sumW = w.reduce((a, b) => a + b, 0);
  const D = nSlots * slotU;
  const varW = D - (sumW * slotU) ** 2 / D;
  const integ = new Integrator(trace.power);
  const firstSlotNs = hostStartNs + schedule.startOffsetNs;
  const refNs = hostStartNs + (schedule.startOffsetNs + patternDurationNs(schedule)) / 2;
  const uAt = (traceNs: number): number => (traceNs - trace.t0Ns) / p;

  // With the edges' actual times the waveform the meter should have seen is known exactly (late
  // wake-ups on a loaded machine shorten busy slots): correlate with that instead of the ideal slots.
  const edgeTimesNs = options.edgeTimesNs && options.edgeTimesNs.length === internalEdges(schedule).length ? options.edgeTimesNs : undefined;
  const correlation = (lag: number): number | null => {
    if (edgeTimesNs) return actualCorrelation(integ, schedule, firstSlotNs, edgeTimesNs, lag, uAt);
    const u0 = uAt(firstSlotNs + lag);
    const u1 = u0 + D;
    if (u0 < 0 || u1 > integ.n) return null;
    const sx = integ.sum(u0, u1);
    const varX = integ.sumSq(u0, u1) - (sx * sx) / D;
    if (!(varX > 0) || !(varW > 0)) return 0;
    let swx = 0;
    for (let k = 0; k < nSlots; k++) swx += w[k]! * integ.sum(u0 + k * slotU, u0 + (k + 1) * slotU);
    return (swx - (sumW * slotU * sx) / D) / Math.sqrt(varW * varX);
  };

  const result = (r: Partial<Alignment> & { trusted: boolean; reason: string | null }): Alignment => ({
    offsetNs: 0,
    driftPpm: 0,
    refNs,
    uncertaintyNs: null,
    strength: 0,
    peakRatio: 0,
    competitorLagNs: null,
    edgesUsed: 0,
    method: METHOD_ONE,
    ...r,
  });

  // (1) Coarse search on a grid no coarser than one sample (and 1/8 slot for slow meters).
  const step = Math.min(p, schedule.slotNs / 8);
  const lags: number[] = [];
  const rs: number[] = [];
  for (let lag = o.searchMinNs; lag <= o.searchMaxNs + 1e-9; lag += step) {
    const r = correlation(lag);
    if (r === null) continue;
    lags.push(lag);
    rs.push(r);
  }
  if (lags.length === 0) {
    return result({
      trusted: false,
      reason:
        'The stored trace does not cover the alignment pattern at any offset in the search range, so the meter could not be aligned; keep the meter recording through the whole run.',
    });
  }
  let best = 0;
  for (let i = 1; i < rs.length; i++) if (rs[i]! > rs[best]!) best = i;
  const coarseLag = lags[best]!;
  const peak = rs[best]!;
  let competitor = -Infinity;
  let competitorLag: number | null = null;
  for (let i = 0; i < rs.length; i++) {
    // The main lobe spans ±1 slot; executed edges that moved (late wake-ups) widen it a little.
    if (Math.abs(lags[i]! - coarseLag) > 1.5 * schedule.slotNs && rs[i]! > competitor) {
      competitor = rs[i]!;
      competitorLag = lags[i]! - coarseLag;
    }
  }
  let strength = Math.max(0, Math.min(1, peak));
  const peakRatio = competitorLag === null ? 1000 : Math.min(1000, Math.max(0, peak) / Math.max(competitor, 1e-3));

  // (2) Sub-sample refinement from the edges, twice: the second pass re-centres the level windows.
  let fit = edgeFit(integ, schedule, hostStartNs, coarseLag, trace, edgeTimesNs);
  if (fit) fit = edgeFit(integ, schedule, hostStartNs, fit.offsetNs, trace, edgeTimesNs) ?? fit;
  const offsetNs = fit ? fit.offsetNs : coarseLag;
  const uncertaintyNs = fit ? fit.uncertaintyNs : step;
  if (fit && edgeTimesNs) {
    const atFit = correlation(offsetNs);
    if (atFit !== null) strength = Math.max(0, Math.min(1, atFit));
  }
  const common = { offsetNs, uncertaintyNs, strength, peakRatio, competitorLagNs: competitorLag, edgesUsed: fit?.edges ?? 0 };

  const ms = (ns: number): string => `${(ns / 1e6).toPrecision(3)} ms`;
  let reason: string | null = null;
  const u0 = uAt(firstSlotNs + offsetNs);
  if (p > schedule.slotNs / 4) {
    reason = `The meter samples every ${ms(p)}, too slowly to resolve the ${ms(schedule.slotNs)} pattern slots (it needs ${ms(schedule.slotNs / 4)} or less), so energies can only be attributed per window.`;
  } else if (integ.hasBad(u0, u0 + D)) {
    reason = 'The trace has a gap inside the alignment pattern, so the meter could not be aligned; check the meter connection and run again.';
  } else if (strength < o.minStrength) {
    reason = `The alignment pattern correlates only weakly with the trace (r = ${strength.toFixed(2)}, needs ${o.minStrength}), so the meter may not see this machine's load; check that it measures the board running the model.`;
  } else if (peakRatio < o.minPeakRatio) {
    reason = `The correlation peak is ambiguous (a peak ${ms(Math.abs(competitorLag ?? 0))} away reaches ${((1 / peakRatio) * 100).toFixed(0)} % of it), so other load on the machine hides the pattern; stop other work and run again.`;
  } else if (!fit) {
    reason = 'Too few pattern edges could be located in the trace to fit the offset; stop other work on the machine and run again.';
  } else if (fit.uncertaintyNs > maxUncertaintyNs) {
    reason = `The pattern's edges disagree on the offset (standard error ${ms(fit.uncertaintyNs)}, allowed ${ms(maxUncertaintyNs)}), so other load on the machine disturbs the pattern; stop other work and run again.`;
  }
  return result({ ...common, trusted: reason === null, reason });
}

interface EdgeFit {
  offsetNs: number;
  uncertaintyNs: number;
  edges: number;
}

/** Locates every internal edge by its area around the expected position (lag) and combines them. */
function edgeFit(integ: Integrator, s: PatternSchedule, hostStartNs: number, lag: number, trace: UniformTrace, edgeTimesNs?: number[]): EdgeFit | null {
  const p = trace.periodNs;
  const h = s.slotNs / 2;
  // The level windows skip the step response around the edge but keep at least one sample.
  const m = Math.min(Math.max(s.slotNs / 10, 2 * p), h / 2);
  const u = (ns: number): number => (ns - trace.t0Ns) / p;
  const est: { d: number; step: number }[] = [];
  const edges = internalEdges(s);
  const actual = edgeTimesNs && edgeTimesNs.length === edges.length ? edgeTimesNs : undefined;
  const at = (i: number): number => (actual ? actual[i]! : hostStartNs + edges[i]!.tNs);
  const patternStart = hostStartNs + s.startOffsetNs;
  const patternEnd = hostStartNs + patternDurationNs(s);
  for (const [i, e] of edges.entries()) {
    const hostEdge = at(i);
    // Each level window stays on its own side of the neighbouring edges, which may have moved
    // (a late wake-up shortens a busy slot).
    const prev = i > 0 ? at(i - 1) : patternStart;
    const next = i + 1 < edges.length ? at(i + 1) : patternEnd;
    const hL = Math.min(h, (hostEdge - prev) / 2);
    const hR = Math.min(h, (next - hostEdge) / 2);
    const mm = Math.min(m, hL / 2, hR / 2);
    if (!(mm > 0)) continue;
    const c = hostEdge + lag;
    const a = c - hL;
    const b = c + hR;
    if (u(a) < 0 || u(b) > integ.n || integ.hasBad(u(a), u(b))) continue;
    const A = integ.sum(u(a), u(c - mm)) / (u(c - mm) - u(a));
    const B = integ.sum(u(c + mm), u(b)) / (u(b) - u(c + mm));
    const stepSize = e.rising ? B - A : A - B;
    if (!(stepSize > 0)) continue;
    const area = integ.sum(u(a), u(b)) * p;
    // ∫x = A·(τ − a) + B·(b − τ), solved relative to a to keep the numbers small.
    const tau = a + (area - B * (b - a)) / (A - B);
    est.push({ d: tau - hostEdge, step: stepSize });
  }
  if (est.length < 3) return null;
  // Edges hidden by other load (a burst on the idle side) have a small step: leave them out.
  const medStep = median(est.map((e) => e.step));
  const strong = est.filter((e) => e.step >= 0.3 * medStep).map((e) => e.d);
  if (strong.length < 3) return null;
  const med = median(strong);
  const mad = median(strong.map((d) => Math.abs(d - med))) * 1.4826;
  const kept = strong.filter((d) => Math.abs(d - med) <= Math.max(3 * mad, p / 2));
  if (kept.length < 3) return null;
  const mean = kept.reduce((x, y) => x + y, 0) / kept.length;
  const sd = Math.sqrt(kept.reduce((x, y) => x + (y - mean) ** 2, 0) / (kept.length - 1));
  // 1 ns: the resolution of session times.
  return { offsetNs: mean, uncertaintyNs: Math.max(sd / Math.sqrt(kept.length), 1), edges: kept.length };
}

/** Normalised correlation of the trace with the pattern as executed (edges at their actual times). */
function actualCorrelation(
  integ: Integrator,
  s: PatternSchedule,
  firstSlotNs: number,
  edgeTimesNs: number[],
  offsetNs: number,
  uAt: (traceNs: number) => number,
): number | null {
  const bounds = [firstSlotNs, ...edgeTimesNs, firstSlotNs + s.bits.length * s.slotNs].map((t) => uAt(t + offsetNs));
  const u0 = bounds[0]!;
  const u1 = bounds[bounds.length - 1]!;
  if (u0 < 0 || u1 > integ.n) return null;
  const D = u1 - u0;
  let sign = s.bits[0] === 1 ? 1 : -1;
  let swx = 0;
  let sw = 0;
  for (let j = 0; j + 1 < bounds.length; j++) {
    const a = bounds[j]!;
    const b = Math.max(a, bounds[j + 1]!);
    swx += sign * integ.sum(a, b);
    sw += sign * (b - a);
    sign = -sign;
  }
  const sx = integ.sum(u0, u1);
  const varX = integ.sumSq(u0, u1) - (sx * sx) / D;
  const varW = D - (sw * sw) / D;
  if (!(varX > 0) || !(varW > 0)) return 0;
  return (swx - (sw * sx) / D) / Math.sqrt(varW * varX);
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

/**
 * Resamples stored chunks onto one even grid over [fromNs, toNs) for the correlation: the smallest
 * chunk period, phased like the first chunk that overlaps, each grid sample taking the stored sample
 * that contains its midpoint. Gaps, holes and damaged chunks stay NaN.
 */
export function uniformTrace(chunks: PowerChunk[], gaps: TraceGap[], fromNs: number, toNs: number): UniformTrace | null {
  const over = chunks.filter((c) => c.t0Ns < toNs && chunkEndNs(c) > fromNs);
  if (over.length === 0) return null;
  const p = over.reduce((m, c) => Math.min(m, c.periodNs), Infinity);
  const first = over.reduce((a, c) => (c.t0Ns < a.t0Ns ? c : a));
  const t0 = first.t0Ns + Math.floor((fromNs - first.t0Ns) / p) * p;
  const n = Math.max(0, Math.ceil((toNs - t0) / p));
  const power = new Float64Array(n).fill(NaN);
  for (const c of over) {
    if (c.damaged) continue;
    const j0 = Math.max(0, Math.ceil((c.t0Ns - t0) / p - 0.5));
    const j1 = Math.min(n, Math.ceil((chunkEndNs(c) - t0) / p - 0.5));
    for (let j = j0; j < j1; j++) {
      const i = Math.floor((t0 + (j + 0.5) * p - c.t0Ns) / c.periodNs);
      if (i >= 0 && i < c.count) power[j] = c.power[i]!;
    }
  }
  for (const g of gaps) {
    const j0 = Math.max(0, Math.floor((g.startNs - t0) / p));
    const j1 = Math.min(n, Math.ceil((g.endNs - t0) / p));
    for (let j = j0; j < j1; j++) power[j] = NaN;
  }
  return { t0Ns: t0, periodNs: p, power };
}

/** alignPattern over stored chunks: resamples just the stretch the search range can reach. */
export function alignPatternInChunks(
  chunks: PowerChunk[],
  gaps: TraceGap[],
  schedule: PatternSchedule,
  hostStartNs: number,
  options: AlignOptions = {},
): Alignment {
  const lo = hostStartNs + schedule.startOffsetNs + (options.searchMinNs ?? DEFAULTS.searchMinNs) - schedule.slotNs;
  const hi = hostStartNs + patternDurationNs(schedule) + (options.searchMaxNs ?? DEFAULTS.searchMaxNs) + schedule.slotNs;
  const trace = uniformTrace(chunks, gaps, lo, hi) ?? { t0Ns: lo, periodNs: schedule.slotNs / 8, power: [] };
  return alignPattern(trace, schedule, hostStartNs, options);
}

/**
 * Two patterns (one at the start of the run, one at the end) give the drift of the meter's clock:
 * the offset changes linearly between their reference times. The result holds the first offset at
 * the first reference time; it is trusted only when both are.
 */
export function combineAlignments(first: Alignment, second: Alignment): Alignment {
  const dt = second.refNs - first.refNs;
  if (!(dt > 0)) throw new RangeError('the second alignment pattern must come after the first');
  const driftPpm = ((second.offsetNs - first.offsetNs) / dt) * 1e6;
  const unc = first.uncertaintyNs !== null && second.uncertaintyNs !== null ? Math.max(first.uncertaintyNs, second.uncertaintyNs) : null;
  const reason = first.trusted ? (second.trusted ? null : `At the end of the run: ${second.reason}`) : first.reason;
  return {
    ...first,
    driftPpm,
    uncertaintyNs: unc,
    strength: Math.min(first.strength, second.strength),
    peakRatio: Math.min(first.peakRatio, second.peakRatio),
    edgesUsed: Math.min(first.edgesUsed, second.edgesUsed),
    trusted: first.trusted && second.trusted,
    reason,
    method: METHOD_TWO,
  };
}

/** Where a session-relative host time falls in the stored trace (see the sign convention above). */
export function hostToTraceNs(a: Pick<Alignment, 'offsetNs' | 'driftPpm' | 'refNs'>, hostNs: number): number {
  return hostNs + a.offsetNs + a.driftPpm * 1e-6 * (hostNs - a.refNs);
}
