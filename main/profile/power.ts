/**
 * The power trace the profiler works on: stored sample chunks reduced to one power plane each.
 * Sample i of a chunk stands for the interval [t0Ns + i·periodNs, t0Ns + (i+1)·periodNs) of
 * session-relative time (ns); every integral in this folder treats it as constant over that interval
 * (zero-order hold), which is exact for meters that report the mean over each period.
 */
import type { Channel } from '../meters/types';

export interface PowerChunk {
  t0Ns: number;
  periodNs: number;
  count: number;
  /** Watts per sample. */
  power: ArrayLike<number>;
  /** A chunk whose samples could not be read back: any window touching it has no measurement. */
  damaged?: boolean;
}

/** A stretch with no samples (lost samples, an unplugged cable), session-relative ns. */
export interface TraceGap {
  startNs: number;
  endNs: number;
}

/** A time interval, session-relative ns, end exclusive. */
export interface Interval {
  startNs: number;
  endNs: number;
}

/**
 * Power of a stored chunk: its power channel, else current × the session's nominal voltage (the
 * supply set-point; callers show it as an assumption). Null when neither is available.
 */
export function powerPlane(chunk: { count: number; channels: Channel[]; data: ArrayLike<number>[] }, nominalVoltageV: number | null): Float64Array | null {
  const p = chunk.channels.indexOf('power');
  const out = new Float64Array(chunk.count);
  if (p >= 0) {
    const d = chunk.data[p]!;
    for (let i = 0; i < chunk.count; i++) out[i] = d[i]!;
    return out;
  }
  const c = chunk.channels.indexOf('current');
  if (c < 0 || nominalVoltageV === null || !Number.isFinite(nominalVoltageV)) return null;
  const d = chunk.data[c]!;
  for (let i = 0; i < chunk.count; i++) out[i] = d[i]! * nominalVoltageV;
  return out;
}

export function overlaps(a: Interval, b: Interval): boolean {
  return a.startNs < b.endNs && b.startNs < a.endNs;
}

export function chunkEndNs(c: PowerChunk): number {
  return c.t0Ns + c.count * c.periodNs;
}
