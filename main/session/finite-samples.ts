/**
 * Keeps non-finite samples (NaN, ±Infinity from a broken meter or an absurd setting) out of the
 * store: a chunk is split into its finite runs, and each run of non-finite samples becomes a gap at
 * its exact place. A number that is not a measurement is never stored as one, and no time is lost
 * without a record.
 */
import type { MeterGap, SampleChunk } from '../meters/types';
import { sliceChunk } from './rechunker';

export const NON_FINITE_REASON = 'non-finite values from the meter';

export type FinitePart = { chunk: SampleChunk } | { gap: MeterGap };

/** The chunk itself when every value is finite (the common case costs one pass and no copy). */
export function splitNonFinite(chunk: SampleChunk): FinitePart[] {
  const bad = (i: number): boolean => chunk.data.some((d) => !Number.isFinite(d[i]!));
  let first = -1;
  for (let i = 0; i < chunk.count; i++) {
    if (bad(i)) {
      first = i;
      break;
    }
  }
  if (first < 0) return [{ chunk }];
  const parts: FinitePart[] = [];
  let i = 0;
  while (i < chunk.count) {
    const isBad = bad(i);
    let j = i + 1;
    while (j < chunk.count && bad(j) === isBad) j++;
    if (isBad) {
      parts.push({
        gap: { startNs: chunk.t0Ns + i * chunk.periodNs, endNs: chunk.t0Ns + j * chunk.periodNs, lostSamples: j - i, reason: NON_FINITE_REASON },
      });
    } else {
      parts.push({ chunk: takeRange(chunk, i, j) });
    }
    i = j;
  }
  return parts;
}

/** Samples [from, to) of a chunk, with exact timing (and device counter) for the first one. */
function takeRange(c: SampleChunk, from: number, to: number): SampleChunk {
  const tail = from > 0 ? sliceChunk(c, from) : c;
  const keep = to - from;
  const out: SampleChunk = { ...tail, count: keep, data: tail.data.map((d) => d.subarray(0, keep)) };
  if (tail.digital) out.digital = tail.digital.subarray(0, keep);
  return out;
}
