/**
 * The profiling result view's pure logic: moving inference windows into trace time, the colours of
 * exits, the energy histogram, the scatter points, the table's order (violations first) and the
 * plain-words texts for verdicts, alignment and progress. No React, no DOM: unit-tested as is.
 */
import type { CallOutput, EventPayload } from '../../../main/api/contract';

export type ProfileDetails = CallOutput<'profile.get'>;
export type ProfileResultDto = NonNullable<ProfileDetails['result']>;
export type ProfileInference = ProfileDetails['inferences'][number];
export type ProfilePhaseInterval = ProfileDetails['phases'][number];
export type ProfileProgress = EventPayload<'profile.progress'>;
export type BudgetResultDto = ProfileResultDto['budgets'][number];

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

// ---------- time alignment ----------

/** How host times become trace times: traceTime = h + offsetNs + driftPpm·1e-6·(h − refNs). */
export interface TraceShift {
  offsetNs: number;
  driftPpm: number;
  refNs: number;
  /** False when the alignment is missing or not trusted: then nothing is shifted (as the attribution did). */
  applied: boolean;
}

/**
 * The shift the attribution used: the estimated offset (and drift) when the alignment is trusted,
 * none otherwise, so the shaded windows are exactly the intervals the energies were integrated over.
 */
export function traceShift(alignment: ProfileResultDto['alignment'] | undefined): TraceShift {
  if (!alignment || !alignment.trusted) return { offsetNs: 0, driftPpm: 0, refNs: 0, applied: false };
  const refNs = num(alignment.refNs);
  // Without its reference time (runs analysed before it was stored) the drift term cannot be placed: offset only.
  return { offsetNs: alignment.offsetNs, driftPpm: refNs === null ? 0 : alignment.driftPpm, refNs: refNs ?? 0, applied: true };
}

/** A session-relative host time (s) in trace time (s). */
export function toTraceS(hostS: number, shift: TraceShift): number {
  const h = hostS * 1e9;
  return (h + shift.offsetNs + shift.driftPpm * 1e-6 * (h - shift.refNs)) / 1e9;
}

export interface ShadeInterval {
  seq: number;
  startS: number;
  endS: number;
  exit: number | null;
  color: string;
}

/** Each inference's window in trace time, coloured by the exit that answered, in time order. */
export function shadingIntervals(inferences: readonly ProfileInference[], shift: TraceShift): ShadeInterval[] {
  return inferences
    .map((r) => ({ seq: r.seq, startS: toTraceS(r.startS, shift), endS: toTraceS(r.endS, shift), exit: r.exit, color: exitColor(r.exit) }))
    .sort((a, b) => a.startS - b.startS || a.seq - b.seq);
}

/** The intervals that overlap [fromS, toS] (the part of the trace on screen). */
export function visibleIntervals<T extends { startS: number; endS: number }>(intervals: readonly T[], fromS: number, toS: number): T[] {
  return intervals.filter((i) => i.endS >= fromS && i.startS <= toS);
}

/** Phases in trace time, for labelled bands on the trace (an unfinished phase ends at the session's end). */
export function phaseBands(phases: readonly ProfilePhaseInterval[], shift: TraceShift, endS: number): Array<{ label: string; startS: number; endS: number }> {
  return phases.map((p) => ({ label: p.label, startS: toTraceS(p.startS, shift), endS: p.endS === null ? endS : toTraceS(p.endS, shift) }));
}

// ---------- exits ----------

const EXIT_COLORS = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#0891b2', '#db2777', '#65a30d', '#ea580c'];
const CLASSIFIER_COLOR = '#475569';

/** Early exit i keeps one colour everywhere (trace, scatter, table); the final classifier is slate. */
export function exitColor(exit: number | null): string {
  if (exit === null) return CLASSIFIER_COLOR;
  return EXIT_COLORS[((exit % EXIT_COLORS.length) + EXIT_COLORS.length) % EXIT_COLORS.length]!;
}

export function exitName(exit: number | null): string {
  return exit === null ? 'classifier' : `exit${exit}`;
}

/** The exits present in a run, in network order (early exits, then the classifier). */
export function exitsPresent(inferences: readonly Pick<ProfileInference, 'exit'>[]): Array<number | null> {
  const set = new Set(inferences.map((r) => r.exit));
  const early = [...set].filter((e): e is number => e !== null).sort((a, b) => a - b);
  return set.has(null) ? [...early, null] : early;
}

// ---------- histogram ----------

export interface HistogramBin {
  from: number;
  to: number;
  count: number;
}

export interface Histogram {
  bins: HistogramBin[];
  min: number;
  max: number;
  /** Values that went in (finite ones only). */
  n: number;
}

/**
 * Equal-width bins over the values and every `include` value (the budget lines, so a budget far
 * from the data is still on the axis). Bin count: √n, between 5 and 40. A value on an inner edge
 * goes to the bin above it; the largest value goes to the last bin. All-equal values get one
 * narrow bin around them.
 */
export function histogram(values: readonly number[], include: readonly number[] = [], maxBins = 40): Histogram {
  const finite = values.filter((v) => Number.isFinite(v));
  const extra = include.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return { bins: [], min: 0, max: 0, n: 0 };
  let min = Math.min(...finite, ...extra);
  let max = Math.max(...finite, ...extra);
  if (max === min) {
    const half = Math.abs(min) * 0.005 || 1e-12;
    min -= half;
    max += half;
  }
  const count = Math.max(5, Math.min(maxBins, Math.ceil(Math.sqrt(finite.length))));
  const width = (max - min) / count;
  const bins: HistogramBin[] = Array.from({ length: count }, (_, i) => ({
    from: min + i * width,
    to: i === count - 1 ? max : min + (i + 1) * width,
    count: 0,
  }));
  for (const v of finite) {
    const i = Math.min(count - 1, Math.max(0, Math.floor((v - min) / width)));
    bins[i]!.count++;
  }
  return { bins, min, max, n: finite.length };
}

// ---------- budgets ----------

/** Per-inference budgets (not energy per run) that some inference exceeded: their seqs. */
export function violatingSeqs(budgets: readonly BudgetResultDto[]): Set<number> {
  const out = new Set<number>();
  for (const b of budgets) {
    if (b.metric === 'energy_per_run') continue;
    for (const v of b.violations) out.add(v.seq);
  }
  return out;
}

/** Energy-per-inference budgets as lines for the histogram (J). */
export function energyBudgetLines(budgets: readonly BudgetResultDto[]): Array<{ name: string; valueJ: number }> {
  return budgets.filter((b) => b.metric === 'energy_per_inference').map((b) => ({ name: b.name, valueJ: b.value }));
}

export type Verdict = 'PASS' | 'FAIL' | 'UNKNOWN';

/** The verdict in capitals; 'unknown' when nothing is over but some inferences were not measured. */
export function verdictOf(b: BudgetResultDto): Verdict {
  const v = typeof b.verdict === 'string' ? b.verdict : b.pass ? 'pass' : 'fail';
  return v === 'pass' ? 'PASS' : v === 'fail' ? 'FAIL' : 'UNKNOWN';
}

// ---------- table ----------

export type SortKey = 'seq' | 'exit' | 'macs' | 'latencyS' | 'measuredEnergyJ' | 'activeEnergyJ' | 'predictedEnergyJ' | 'graphBuilds';

export interface TableRow extends ProfileInference {
  latencyS: number;
  violates: boolean;
}

export function tableRows(inferences: readonly ProfileInference[], violations: ReadonlySet<number>): TableRow[] {
  return inferences.map((r) => ({ ...r, latencyS: r.endS - r.startS, violates: violations.has(r.seq) }));
}

function keyValue(r: TableRow, key: SortKey): number | null {
  if (key === 'exit') return r.exit === null ? Number.POSITIVE_INFINITY : r.exit; // the classifier is the deepest exit
  return r[key];
}

/**
 * Violations first, then by the key (missing values last in either direction), ties by seq, so
 * the inferences that broke a budget are the first thing read whatever column is sorted.
 */
export function sortRows(rows: readonly TableRow[], key: SortKey, dir: 'asc' | 'desc'): TableRow[] {
  const sign = dir === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    if (a.violates !== b.violates) return a.violates ? -1 : 1;
    const x = keyValue(a, key);
    const y = keyValue(b, key);
    if (x === null || y === null) {
      if (x !== y) return x === null ? 1 : -1;
    } else if (x !== y) return (x - y) * sign;
    return a.seq - b.seq;
  });
}

// ---------- scatter ----------

export interface ScatterPoint {
  macs: number;
  energyJ: number;
  /** Per inference: its exit and seq; per window: null and the window's index. */
  exit: number | null;
  seq: number;
  violates: boolean;
  kind: 'inference' | 'window';
  /** Inferences behind the point (1 per inference). */
  n: number;
}

interface EnergyWindowDto {
  startNs: number;
  endNs: number;
  inferences: number;
  energyPerInferenceJ: number | null;
}

/** The window estimate stored with a window-mode result (null otherwise). */
export function resultWindows(result: ProfileResultDto | null): EnergyWindowDto[] | null {
  const w = result?.windows as { windows?: unknown } | undefined;
  if (!w || !Array.isArray(w.windows)) return null;
  return w.windows.flatMap((x: unknown) => {
    const o = x as Record<string, unknown>;
    const s = num(o.startNs);
    const e = num(o.endNs);
    if (s === null || e === null) return [];
    return [{ startNs: s, endNs: e, inferences: num(o.inferences) ?? 0, energyPerInferenceJ: num(o.energyPerInferenceJ) }];
  });
}

/**
 * Measured energy against MACs: one point per measured inference; in window mode, where single
 * inferences have no measured energy, one point per window (its energy per inference against the
 * mean MACs of the inferences whose middle falls in it).
 */
export function scatterPoints(inferences: readonly ProfileInference[], result: ProfileResultDto | null, violations: ReadonlySet<number>): ScatterPoint[] {
  const measured = inferences.filter((r) => r.measuredEnergyJ !== null);
  if (measured.length > 0) {
    return measured.map((r) => ({
      macs: r.macs,
      energyJ: r.measuredEnergyJ!,
      exit: r.exit,
      seq: r.seq,
      violates: violations.has(r.seq),
      kind: 'inference',
      n: 1,
    }));
  }
  const windows = resultWindows(result);
  if (!windows) return [];
  const shift = traceShift(result?.alignment);
  const mids = inferences.map((r) => ({ r, midNs: ((toTraceS(r.startS, shift) + toTraceS(r.endS, shift)) / 2) * 1e9 }));
  return windows.flatMap((w, i) => {
    if (w.energyPerInferenceJ === null) return [];
    const inside = mids.filter((m) => m.midNs >= w.startNs && m.midNs < w.endNs);
    if (inside.length === 0) return [];
    const macs = inside.reduce((s, m) => s + m.r.macs, 0) / inside.length;
    return [{ macs, energyJ: w.energyPerInferenceJ, exit: null, seq: i, violates: false, kind: 'window' as const, n: inside.length }];
  });
}

/** The values the histogram shows: measured energy per inference, or per window in window mode. */
export function histogramValues(inferences: readonly ProfileInference[], result: ProfileResultDto | null): { values: number[]; per: 'inference' | 'window' } {
  const measured = inferences.flatMap((r) => (r.measuredEnergyJ === null ? [] : [r.measuredEnergyJ]));
  if (measured.length > 0) return { values: measured, per: 'inference' };
  const windows = resultWindows(result) ?? [];
  return { values: windows.flatMap((w) => (w.energyPerInferenceJ === null ? [] : [w.energyPerInferenceJ])), per: 'window' };
}

// ---------- axes ----------

/** About `count` round tick values covering [min, max] (1, 2, 5 × 10^k steps). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min) || !Number.isFinite(min) || !Number.isFinite(max)) return Number.isFinite(min) ? [min] : [];
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

// ---------- texts ----------

const PHASE_TEXT: Record<ProfileProgress['phase'], string> = {
  warmup: 'Warming up',
  baseline: 'Measuring the idle baseline',
  alignment: 'Running the alignment pattern',
  inferences: 'Inferences',
  closing: 'Closing idle',
  analysis: 'Analysing the trace',
  done: 'Done',
  failed: 'Failed',
};

/** "Inferences 40 of 300" / "Warming up 0 of 20" / "Measuring the idle baseline". */
export function progressText(p: Pick<ProfileProgress, 'phase' | 'done' | 'total'>): string {
  const label = PHASE_TEXT[p.phase];
  return p.phase === 'inferences' || p.phase === 'warmup' ? `${label} ${p.done} of ${p.total}` : label;
}

/** Seconds since the last progress event added to its elapsed time (events come every few inferences). */
export function elapsedNow(p: Pick<ProfileProgress, 'elapsedS'>, receivedAtMs: number, nowMs: number): number {
  return p.elapsedS + Math.max(0, nowMs - receivedAtMs) / 1000;
}

/** The ETA counted down on the viewer's clock since it arrived; null while unknown. */
export function etaNow(p: Pick<ProfileProgress, 'etaS'>, receivedAtMs: number, nowMs: number): number | null {
  if (p.etaS === null) return null;
  return Math.max(0, p.etaS - Math.max(0, nowMs - receivedAtMs) / 1000);
}
