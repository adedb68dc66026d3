import type { Columns } from '../common/chart';
import type { Trace } from '../common/types';

/**
 * uPlot columns from a stored trace, with a null inserted wherever buckets are missing (a gap in
 * the recording) so the lines break there instead of drawing a straight line across lost data.
 */
export function traceColumns(trace: Pick<Trace, 'tS' | 'min' | 'max' | 'mean' | 'bucketS' | 'gaps'>): Columns {
  const t: number[] = [];
  const lo: Array<number | null> = [];
  const hi: Array<number | null> = [];
  const avg: Array<number | null> = [];
  const n = Math.min(trace.tS.length, trace.min.length, trace.max.length, trace.mean.length);
  const gapStarts = trace.gaps.map((g) => g.startS);
  for (let i = 0; i < n; i++) {
    const ti = trace.tS[i]!;
    if (i > 0) {
      const prev = trace.tS[i - 1]!;
      const missing = trace.bucketS > 0 && ti - prev > trace.bucketS * 1.5;
      const crossesGap = gapStarts.some((g) => g > prev && g <= ti);
      if (missing || crossesGap) {
        t.push((prev + ti) / 2);
        lo.push(null);
        hi.push(null);
        avg.push(null);
      }
    }
    t.push(ti);
    lo.push(trace.min[i]!);
    hi.push(trace.max[i]!);
    avg.push(trace.mean[i]!);
  }
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
