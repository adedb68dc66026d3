/**
 * Number formatting for the Run page: MAC, FLOP and parameter counts (from the domain module) and
 * shares of a run.
 */

// Count formatting is a domain rule shared with the CLI; the Run page re-exports it for its components.
export { countPrefixed, formatFlops, formatMacs, formatParams, parseMacsText } from '../../../main/domain/cost-format';

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
