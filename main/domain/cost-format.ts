/**
 * Compute and cost numbers for people. MACs are what the engine counts and what budgets are written
 * in; FLOPs are shown only beside them, labelled, because papers quote FLOPs and the convention used
 * here (one multiply-accumulate = two floating-point operations) must be stated, not implied.
 * Two styles, one prefix table: `formatCost` with fixed decimals for the CLI's aligned columns and
 * messages, `countPrefixed` with 3 significant digits for the app.
 */
import type { CostKind } from './budget';

/** One multiply-accumulate is two floating-point operations. */
export const FLOPS_PER_MAC = 2;

const COUNT_PREFIXES: Array<[number, string]> = [
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
];

/** Fixed decimals per prefix: "5.074 MMAC", "12.50 kMAC", "3.000 ms", "1.500 mJ". */
export function formatCost(value: number, kind: CostKind): string {
  if (kind === 'macs') {
    const found = COUNT_PREFIXES.find(([s]) => value >= s);
    if (!found) return `${value} MAC`;
    const [scale, prefix] = found;
    return `${(value / scale).toFixed(scale === 1e3 ? 2 : 3)} ${prefix}MAC`;
  }
  if (kind === 'latency') {
    if (value >= 1) return `${value.toFixed(3)} s`;
    if (value >= 1e-3) return `${(value * 1e3).toFixed(3)} ms`;
    return `${(value * 1e6).toFixed(1)} us`;
  }
  if (value >= 1) return `${value.toFixed(3)} J`;
  if (value >= 1e-3) return `${(value * 1e3).toFixed(3)} mJ`;
  if (value >= 1e-6) return `${(value * 1e6).toFixed(3)} uJ`;
  return `${(value * 1e9).toFixed(3)} nJ`;
}

/** "10.149 MFLOP (FLOPs = 2×MACs)". */
export function flopsLabel(macs: number): string {
  return `${formatCost(FLOPS_PER_MAC * macs, 'macs').replace('MAC', 'FLOP')} (FLOPs = 2×MACs)`;
}

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
export const formatFlops = (macs: number | null | undefined) => countPrefixed(macs === null || macs === undefined ? macs : macs * FLOPS_PER_MAC, 'FLOPs');

/** Parameter count: "56.3 k". */
export const formatParams = (n: number) => countPrefixed(n, '');

/**
 * Reads back a MAC count as `formatMacs` displays it ("5.07 MMAC", "512 MAC"); used to turn what the
 * user sees on a model card into a budget. Returns null for anything else.
 */
export function parseMacsText(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kMG]?)MAC\s*$/.exec(text);
  if (!m) return null;
  const scale = COUNT_PREFIXES.find(([, p]) => p === m[2])?.[0] ?? 1;
  return Number(m[1]) * scale;
}
