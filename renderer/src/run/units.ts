/**
 * Compute-cost formatting for the Run page. MACs are what the engine counts and what budgets are
 * written in; FLOPs are shown beside them because papers quote FLOPs, and the convention used
 * here (one multiply-accumulate = two floating-point operations) must be stated, not implied.
 */

const COUNT_PREFIXES: Array<[number, string]> = [
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
];

/** 3 significant digits with k/M/G: 5074368 → "5.07 M". Counts never take milli/micro prefixes. */
export function countPrefixed(value: number | null | undefined, unit: string): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  const found = COUNT_PREFIXES.find(([s]) => abs >= s * 0.9995);
  if (!found) {
    // Below 1000 a count is shown as is (a mean can be fractional; keep one decimal then).
    const text = Number.isInteger(value) ? String(value) : value.toFixed(1);
    return unit ? `${text} ${unit}` : text;
  }
  const [scale, prefix] = found;
  const scaled = value / scale;
  const digits = Math.abs(scaled) >= 100 ? 0 : Math.abs(scaled) >= 10 ? 1 : 2;
  return `${scaled.toFixed(digits)} ${prefix}${unit}`;
}

/** "5.07 MMAC". */
export const formatMacs = (macs: number | null | undefined) => countPrefixed(macs, 'MAC');

/** FLOPs as 2×MACs: "10.1 MFLOPs". */
export const formatFlops = (macs: number | null | undefined) =>
  countPrefixed(macs === null || macs === undefined ? macs : macs * 2, 'FLOPs');

/** Parameter count: "56.3 k". */
export const formatParams = (n: number) => countPrefixed(n, '');

/**
 * A share as a percentage. Rounds *down* below 100 %, so a run where 999 of 1000 inferences met a
 * hard budget reads "99.9 %", never a reassuring but false "100 %".
 */
export function formatShare(fraction: number | null | undefined, decimals = 1): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '—';
  if (fraction >= 1) return fraction === 1 ? '100 %' : `${(fraction * 100).toFixed(decimals)} %`;
  const scale = 10 ** decimals;
  const floored = Math.floor(fraction * 100 * scale + 1e-9) / scale;
  return `${floored.toFixed(decimals)} %`;
}

/**
 * Reads back a MAC count as the page displays it ("5.07 MMAC", "512 MAC"); used to turn what the
 * user sees on a model card into a budget. Returns null for anything else.
 */
export function parseMacsText(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kMG]?)MAC\s*$/.exec(text);
  if (!m) return null;
  const scale = m[2] === 'G' ? 1e9 : m[2] === 'M' ? 1e6 : m[2] === 'k' ? 1e3 : 1;
  return Number(m[1]) * scale;
}
