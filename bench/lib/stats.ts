/** Helpers shared by the benchmarks. */

/** The same pseudo-random images (LCG, values in [0, 1)) for every configuration and runtime. */
export function images(n: number, per: number): Float32Array {
  let a = 12345;
  const out = new Float32Array(n * per);
  for (let i = 0; i < out.length; i++) {
    a = (a * 1664525 + 1013904223) >>> 0;
    out[i] = a / 4294967296;
  }
  return out;
}

/** Lower quartile: robust to bursts of load from other processes on a shared machine. */
export function q25(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) * 0.25)]!;
}

/** Median. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Median of the per-round ratios a[i] / b[i] of two interleaved measurements. Each pair is taken
 * milliseconds apart, so a slow stretch of the shared machine scales both and cancels; comparing
 * the two distributions' quantiles instead lets such stretches land on one side only.
 */
export function pairedRatio(a: number[], b: number[]): number {
  if (a.length !== b.length || a.length === 0) throw new Error('pairedRatio needs two equally long, non-empty series');
  return median(a.map((x, i) => x / b[i]!));
}
