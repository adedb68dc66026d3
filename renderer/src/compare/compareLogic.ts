/**
 * The Compare page's pure logic: where each session's time zero lies for the chosen alignment
 * (its start, a marker, or a profiling run's inference phase in trace time), its trace moved onto
 * the common axis (lines broken at gaps, never drawn across them), the shared histogram bins, and
 * the side-by-side statistics. No React, no DOM.
 */
import type { MarkerDto, SessionSummary, Trace } from '../../../main/api/contract';
import { si, count, duration } from '../common/format';
import { histogramValues, toTraceS, traceShift, verdictOf, type ProfileDetails } from '../profile/profileLogic';

export type AlignMode = { kind: 'start' } | { kind: 'marker'; label: string } | { kind: 'inferences' };

/** What a session offers to align on: its markers (notes and phases) and, for a profiling run, its details. */
export interface SessionAnchors {
  id: number;
  markers: readonly Pick<MarkerDto, 'label' | 'tS' | 'kind'>[];
  profile: ProfileDetails | null;
}

export type Offset = { offsetS: number } | { offsetS: null; reason: string };

/** Time in the session (s) that becomes 0 on the common axis, or why there is none. */
export function alignmentOffset(a: SessionAnchors, mode: AlignMode): Offset {
  if (mode.kind === 'start') return { offsetS: 0 };
  if (mode.kind === 'marker') {
    const m = a.markers.filter((x) => x.label === mode.label).sort((x, y) => x.tS - y.tS)[0];
    // A profiling phase marker is in host time; shift it into trace time as its shading is.
    if (m && m.kind === 'phase' && a.profile) return { offsetS: toTraceS(m.tS, traceShift(a.profile.result?.alignment)) };
    return m ? { offsetS: m.tS } : { offsetS: null, reason: `Session ${a.id} has no marker "${mode.label}".` };
  }
  const phase = a.profile?.phases.find((p) => p.label === 'inferences');
  if (!a.profile) return { offsetS: null, reason: `Session ${a.id} is not a profiling run.` };
  if (!phase) return { offsetS: null, reason: `Session ${a.id} has no inference phase.` };
  return { offsetS: toTraceS(phase.startS, traceShift(a.profile.result?.alignment)) };
}

/** Marker labels to align on, the ones most sessions share first. */
export function markerChoices(all: readonly SessionAnchors[]): Array<{ label: string; sessions: number }> {
  const n = new Map<string, number>();
  for (const a of all) for (const label of new Set(a.markers.map((m) => m.label))) n.set(label, (n.get(label) ?? 0) + 1);
  return [...n.entries()].map(([label, sessions]) => ({ label, sessions })).sort((x, y) => y.sessions - x.sessions || x.label.localeCompare(y.label));
}

export interface Segment {
  x: number[];
  y: number[];
}

/**
 * A trace's bucket means on the common axis (x = t − offset), split into segments wherever a
 * recorded gap lies between two buckets or the buckets are further apart than 1.5 bucket widths.
 */
export function overlaySegments(trace: Pick<Trace, 'tS' | 'mean' | 'bucketS' | 'gaps'>, offsetS: number): Segment[] {
  const out: Segment[] = [];
  let cur: Segment | null = null;
  const step = trace.bucketS;
  for (let i = 0; i < trace.tS.length; i++) {
    const t = trace.tS[i]!;
    const v = trace.mean[i]!;
    if (!Number.isFinite(v)) {
      cur = null;
      continue;
    }
    const prev = i > 0 ? trace.tS[i - 1]! : null;
    const broken = prev === null || t - prev > 1.5 * step || trace.gaps.some((g) => g.startS < t && g.endS > prev + step);
    if (!cur || broken) {
      cur = { x: [], y: [] };
      out.push(cur);
    }
    // Each bucket's mean is drawn at its middle.
    cur.x.push(t + step / 2 - offsetS);
    cur.y.push(v);
  }
  return out.filter((s) => s.x.length > 0);
}

/** The x and y extent of every segment (y includes 0 so levels compare by height). */
export function extent(all: readonly Segment[][]): { x0: number; x1: number; y0: number; y1: number } | null {
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = 0;
  let y1 = -Infinity;
  for (const segs of all)
    for (const s of segs)
      for (let i = 0; i < s.x.length; i++) {
        x0 = Math.min(x0, s.x[i]!);
        x1 = Math.max(x1, s.x[i]!);
        y0 = Math.min(y0, s.y[i]!);
        y1 = Math.max(y1, s.y[i]!);
      }
  if (!Number.isFinite(x0) || !Number.isFinite(y1)) return null;
  if (x1 === x0) x1 = x0 + 1e-3;
  if (y1 <= y0) y1 = y0 + 1e-9;
  return { x0, x1, y0, y1: y1 * 1.05 };
}

/** One set of equal-width bins for every run's values, so the overlaid histograms read against each other. */
export function sharedHistogram(runs: readonly number[][], bins = 24): { edges: number[]; counts: number[][] } | null {
  const all = runs.flat().filter((v) => Number.isFinite(v));
  if (all.length === 0) return null;
  let min = Math.min(...all);
  let max = Math.max(...all);
  if (max === min) {
    const half = Math.abs(min) * 0.005 || 1e-12;
    min -= half;
    max += half;
  }
  const width = (max - min) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? max : min + i * width));
  const counts = runs.map((vs) => {
    const c = new Array<number>(bins).fill(0);
    for (const v of vs) if (Number.isFinite(v)) c[Math.min(bins - 1, Math.max(0, Math.floor((v - min) / width)))]!++;
    return c;
  });
  return { edges, counts };
}

/** The values of a profiling run's energy histogram (per inference, or per window in window mode). */
export function runEnergies(p: ProfileDetails | null): number[] {
  return p ? histogramValues(p.inferences, p.result).values : [];
}

export interface CompareRow {
  key: string;
  label: string;
  values: string[];
}

/** The statistics side by side: one row per quantity, one value per session ('—' where it has none). */
export function compareRows(items: ReadonlyArray<{ session: SessionSummary; profile: ProfileDetails | null }>): CompareRow[] {
  const row = (key: string, label: string, f: (s: SessionSummary, p: ProfileDetails | null) => string): CompareRow => ({
    key,
    label,
    values: items.map((it) => f(it.session, it.profile)),
  });
  const rows: CompareRow[] = [
    row('kind', 'Kind', (s) => (s.kind === 'profile' ? 'profiling run' : 'power')),
    row('duration', 'Duration', (s) => duration(s.durationS)),
    row('meanPower', 'Mean power', (s) => si(s.meanPowerW, 'W') + (s.powerSource === 'nominal-voltage' ? ' (assumed voltage)' : '')),
    row('meanCurrent', 'Mean current', (s) => si(s.meanCurrentA ?? null, 'A')),
    row('energy', 'Energy', (s) => si(s.energyJ, 'J')),
    row('samples', 'Samples', (s) => count(s.samples)),
    row('gaps', 'Gaps', (s) => `${count(s.gaps)}${s.lostSamples > 0 ? ` (${count(s.lostSamples)} samples lost)` : ''}`),
    row('meter', 'Meter', (s) => (s.meter ? `${s.meter.label}${s.meter.simulated ? ' (simulated)' : ''}` : '—')),
  ];
  if (!items.some((it) => it.profile?.result)) return rows;
  const r = (f: (res: NonNullable<ProfileDetails['result']>) => string) => (_s: SessionSummary, p: ProfileDetails | null) => (p?.result ? f(p.result) : '—');
  rows.push(
    row(
      'model',
      'Model',
      r((x) => x.model),
    ),
    row(
      'mode',
      'Mode',
      r((x) => x.mode),
    ),
    row(
      'budget',
      'Budget',
      r((x) => x.budget ?? 'none'),
    ),
    row(
      'backend',
      'Executor / backend',
      r((x) => x.backend),
    ),
    row(
      'attribution',
      'Attribution',
      r((x) => x.attribution.mode),
    ),
    row(
      'inferences',
      'Inferences',
      r((x) => count(x.inferences)),
    ),
    row(
      'epiMean',
      'Energy / inference, mean',
      r((x) => si(x.energyPerInference?.mean ?? null, 'J')),
    ),
    row(
      'epiP95',
      'Energy / inference, p95',
      r((x) => si(x.energyPerInference?.p95 ?? null, 'J')),
    ),
    row(
      'verdicts',
      'Budget verdicts',
      r((x) =>
        x.budgets.length
          ? x.budgets.map((b) => `${b.name}: ${verdictOf(b)} (${(100 * b.fractionWithin).toFixed(1)} % within)`).join('; ')
          : 'no budget checked',
      ),
    ),
  );
  return rows;
}

/** Distinct colours for up to eight series, then repeating. */
export const SERIES_COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777'];
export const seriesColor = (i: number): string => SERIES_COLORS[i % SERIES_COLORS.length]!;
