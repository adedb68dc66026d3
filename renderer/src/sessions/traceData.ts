import type { Columns } from '../common/chart';
import type { Trace } from '../common/types';

type TraceShape = Pick<Trace, 'tS' | 'min' | 'max' | 'mean' | 'bucketS' | 'gaps'>;

/** Median distance between consecutive points (0 with fewer than two). */
function medianSpacing(tS: readonly number[]): number {
  if (tS.length < 2) return 0;
  const d: number[] = [];
  for (let i = 1; i < tS.length; i++) d.push(tS[i]! - tS[i - 1]!);
  d.sort((a, b) => a - b);
  return d[Math.floor(d.length / 2)]!;
}

/**
 * The sample period when the trace is individual samples rather than aggregated buckets: every
 * point a single value (min = max = mean) and points at least a bucket apart. That is what the
 * core returns at the deepest zoom, and also what buckets finer than the sample period hold.
 * Null otherwise.
 */
export function samplePeriodS(trace: TraceShape): number | null {
  const n = Math.min(trace.tS.length, trace.min.length, trace.max.length, trace.mean.length);
  if (n === 0) return null;
  for (let i = 0; i < n; i++) if (trace.min[i] !== trace.max[i] || trace.mean[i] !== trace.min[i]) return null;
  const spacing = n > 1 ? medianSpacing(trace.tS.slice(0, n)) : trace.bucketS;
  return spacing >= trace.bucketS * 0.999 && spacing > 0 ? spacing : null;
}

/**
 * uPlot columns from a stored trace, with a null inserted wherever points are missing (a gap in
 * the recording) so the lines break there instead of drawing a straight line across lost data.
 * "Missing" is judged against the larger of the bucket width and the sample period: buckets
 * finer than the samples are mostly empty, and breaking the line at each of them left nothing to
 * see. When the points are samples they are drawn as steps, so the last one before a break (and
 * the last one of the trace) is held for one sample period.
 */
export function traceColumns(trace: TraceShape): Columns {
  const t: number[] = [];
  const lo: Array<number | null> = [];
  const hi: Array<number | null> = [];
  const avg: Array<number | null> = [];
  const n = Math.min(trace.tS.length, trace.min.length, trace.max.length, trace.mean.length);
  const gapStarts = trace.gaps.map((g) => g.startS);
  const periodS = samplePeriodS(trace);
  const step = Math.max(trace.bucketS, periodS ?? medianSpacing(trace.tS.slice(0, n)));
  const push = (ti: number, a: number | null, b: number | null, c: number | null) => {
    t.push(ti);
    lo.push(a);
    hi.push(b);
    avg.push(c);
  };
  /** Holds the previous sample for one period (not past a gap's start, nor up to the next point). */
  const hold = (i: number, until: number): number => {
    const prev = trace.tS[i]!;
    const end = Math.min(prev + periodS!, until);
    if (end > prev) push(end, trace.min[i]!, trace.max[i]!, trace.mean[i]!);
    return end;
  };
  for (let i = 0; i < n; i++) {
    const ti = trace.tS[i]!;
    if (i > 0) {
      const prev = trace.tS[i - 1]!;
      const missing = step > 0 && ti - prev > step * 1.5;
      const gapStart = gapStarts.find((g) => g > prev && g <= ti);
      if (missing || gapStart !== undefined) {
        let from = prev;
        if (periodS !== null) from = hold(i - 1, Math.min(gapStart ?? Infinity, prev + (ti - prev) * 0.75));
        push((from + ti) / 2, null, null, null);
      }
    }
    push(ti, trace.min[i]!, trace.max[i]!, trace.mean[i]!);
  }
  if (periodS !== null && n > 0) hold(n - 1, Infinity);
  return [t, lo, hi, avg];
}

/** The range a drag selected, in seconds, clamped to the session and never empty. */
export function zoomRange(a: number, b: number, durationS: number): { fromS: number; toS: number } | null {
  const from = Math.max(0, Math.min(a, b));
  const to = Math.min(Math.max(a, b), durationS > 0 ? durationS : Math.max(a, b));
  if (!(to > from)) return null;
  return { fromS: from, toS: to };
}

/** Buckets to ask for: one per pixel column of the plot, within the contract's limits. */
export function pointsForWidth(px: number): number {
  return Math.max(10, Math.min(20_000, Math.round(px)));
}

/**
 * The width to draw a trace line, in CSS pixels. A line with about a point per pixel column (a
 * bucketed trace) is drawn one device pixel wide: on a busy signal it is a zigzag of full-height
 * segments, which Chromium's software canvas strokes as a 1-device-pixel hairline in about 1 ms but
 * at 1.5 px in 70-280 ms (1300 columns, measured) — the frame that stalled zooming. Sparser lines
 * (deep zoom, individual samples) keep their width.
 */
export function lineWidth(width: number, points: number, plotDevicePx: number, pxRatio: number): number {
  return points * 2 > plotDevicePx / pxRatio ? Math.min(width, 1 / pxRatio) : width;
}

/** The shortest view the wheel zooms to: the trace shows individual samples well before this. */
export const MIN_VIEW_S = 1e-6;

/**
 * The view after zooming by `factor` (< 1 in, > 1 out) about `atS`, kept inside the session: the
 * time under the cursor stays under the cursor, and a view wider than the session is the session.
 */
export function zoomAbout(view: { fromS: number; toS: number }, atS: number, factor: number, durationS: number): { fromS: number; toS: number } {
  const span = Math.min(durationS, Math.max(MIN_VIEW_S, (view.toS - view.fromS) * factor));
  const at = Math.min(view.toS, Math.max(view.fromS, atS));
  const left = (at - view.fromS) / Math.max(view.toS - view.fromS, 1e-12);
  return clampView(at - left * span, span, durationS);
}

/** The view moved by `dtS` (positive: later), kept inside the session at the same width. */
export function panBy(view: { fromS: number; toS: number }, dtS: number, durationS: number): { fromS: number; toS: number } {
  return clampView(view.fromS + dtS, view.toS - view.fromS, durationS);
}

function clampView(fromS: number, span: number, durationS: number): { fromS: number; toS: number } {
  const from = Math.max(0, Math.min(fromS, durationS - span));
  return { fromS: from, toS: from + span };
}
