/** Small statistics shared by attribution and budget checks. */

export function mean(v: readonly number[]): number {
  return v.reduce((a, b) => a + b, 0) / v.length;
}

/** Sample standard deviation (n − 1); 0 for fewer than two values. */
export function sampleSd(v: readonly number[]): number {
  if (v.length < 2) return 0;
  const m = mean(v);
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
}

/**
 * Nearest-rank percentile: the smallest value such that at least p % of the values are ≤ it, i.e.
 * sorted[⌈p/100 · n⌉ − 1] (p = 0 gives the minimum). Always one of the values, never interpolated.
 */
export function nearestRank(sortedAscending: readonly number[], p: number): number {
  const n = sortedAscending.length;
  if (n === 0) throw new RangeError('percentile of no values');
  const rank = Math.max(1, Math.ceil((p / 100) * n));
  return sortedAscending[Math.min(n, rank) - 1]!;
}

/** Two-sided 95 % quantiles of Student's t (0.975 one-sided) for 1..30 degrees of freedom. */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069,
  2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/**
 * t_{0.975, df}: a table up to 30 degrees of freedom, beyond it the Cornish–Fisher expansion around
 * the normal quantile (Abramowitz & Stegun 26.7.5), accurate to better than 1e-3 there.
 */
export function t975(df: number): number {
  if (!(df >= 1)) throw new RangeError('t quantile needs at least one degree of freedom');
  const d = Math.floor(df);
  if (d <= 30) return T975[d - 1]!;
  const z = 1.959964;
  const g1 = (z ** 3 + z) / 4;
  const g2 = (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96;
  const g3 = (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / 384;
  return z + g1 / d + g2 / d ** 2 + g3 / d ** 3;
}
