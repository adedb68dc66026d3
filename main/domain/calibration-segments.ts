/**
 * How many segments a calibration run may be measured in (profile/calibrate/calibrate.ts), shared
 * with the app's Calibrate form: every segment keeps at least one pool of the fit's inferences.
 */

/** Consecutive per-inference observations pooled into one before the fit (profile/calibrate/observations.ts). */
export const FIT_POOL = 20;

/** Most segments a run of `limit` inferences can be cut into (1 for runs shorter than two pools). */
export function maxSegments(limit: number): number {
  return Math.max(1, Math.min(20, Math.floor(limit / FIT_POOL)));
}

/** Three parts per run where each keeps a few pools of inferences; fewer for short runs. */
export function defaultSegments(limit: number): number {
  return Math.max(1, Math.min(3, Math.floor(limit / (2 * FIT_POOL))));
}

/** Segments per run: the number asked for, else the default. */
export function segmentsFor(limit: number, asked: number | undefined): number {
  return asked ?? defaultSegments(limit);
}
