import type { SelectionStatsDto } from '../../../main/api/contract';
import { si } from '../common/format';

/** Charge in coulombs as the UI shows it: "12.3 mC"; mAh beside it ("3.42 µAh"). */
export const coulombs = (c: number | null | undefined) => si(c, 'C');
export const milliampHours = (mAh: number | null | undefined) => si(mAh === null || mAh === undefined ? mAh : mAh / 1000, 'Ah');
export const wattHours = (wh: number | null | undefined) => si(wh, 'Wh');

/** One sentence about time in the range without samples, or null when it is all covered. */
export function uncoveredNote(s: Pick<SelectionStatsDto, 'uncoveredS' | 'gaps' | 'lostSamples'>): string | null {
  if (!(s.uncoveredS > 1e-9) && s.gaps.length === 0) return null;
  const gaps =
    s.gaps.length === 0
      ? 'outside the recorded samples'
      : `${s.gaps.length} gap${s.gaps.length === 1 ? '' : 's'}${s.lostSamples ? `, ${s.lostSamples.toLocaleString('en-US')} samples lost` : ''}`;
  return `${si(s.uncoveredS, 's')} of the range has no samples (${gaps}); it is left out of every figure.`;
}

/** The assumption behind power from a current-only meter, or null when power was measured. */
export function powerAssumption(powerSource: string | null | undefined, nominalVoltageV: number | null | undefined): string | null {
  if (powerSource !== 'nominal-voltage' || nominalVoltageV === null || nominalVoltageV === undefined) return null;
  return `Power = current × ${nominalVoltageV} V, the meter's supply set-point: an assumption, not a measured voltage.`;
}
