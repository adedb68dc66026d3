// Stored traces at the deepest zoom: samples drawn as steps, never a blank plot.
import { describe, expect, it } from 'vitest';
import { lineWidth, MIN_VIEW_S, panBy, samplePeriodS, traceColumns, zoomAbout } from '../../../renderer/src/sessions/traceData';

const periodS = 100e-6; // a 10 kS/s meter

describe('trace at the deepest zoom', () => {
  it('draws buckets finer than the sample period as connected samples, not a break between every point', () => {
    // What a 0.77 ms window at 99 points gave: 7.79 µs buckets, one sample in every 12th or 13th.
    const bucketS = 7.79e-6;
    const tS = Array.from({ length: 8 }, (_, k) => Math.floor((k * periodS) / bucketS) * bucketS);
    const v = [1, 2, 3, 4, 5, 6, 7, 8];
    const [t, lo, hi, mean] = traceColumns({ tS, min: v, max: v, mean: v, bucketS, gaps: [] });
    expect(mean.filter((x) => x === null)).toHaveLength(0);
    expect(lo.filter((x) => x === null)).toHaveLength(0);
    expect(hi.filter((x) => x === null)).toHaveLength(0);
    expect(mean.slice(0, 8)).toEqual(v);
    // The last sample is held for one period, so even a single sample shows as a step.
    expect(t).toHaveLength(9);
    expect(t[8]! - t[7]!).toBeCloseTo(samplePeriodS({ tS, min: v, max: v, mean: v, bucketS, gaps: [] })!, 9);
    expect(mean[8]).toBe(8);
  });

  it('shows a window holding a single sample as a step one period long', () => {
    const [t, , , mean] = traceColumns({ tS: [0.1], min: [3], max: [3], mean: [3], bucketS: periodS, gaps: [] });
    expect(mean).toEqual([3, 3]);
    expect(t[1]! - t[0]!).toBeCloseTo(periodS, 12);
  });

  it('recognises raw samples (the core returns them with the sample period as bucket width)', () => {
    const tS = [0.1, 0.1001, 0.1002, 0.1003];
    const v = [1, 1, 2, 2];
    expect(samplePeriodS({ tS, min: v, max: v, mean: v, bucketS: periodS, gaps: [] })).toBeCloseTo(periodS, 12);
    // Aggregated buckets (min < max somewhere) are not samples.
    expect(samplePeriodS({ tS, min: [0, 1, 2, 2], max: [1, 1, 2, 2], mean: [0.5, 1, 2, 2], bucketS: periodS, gaps: [] })).toBeNull();
    expect(samplePeriodS({ tS: [], min: [], max: [], mean: [], bucketS: periodS, gaps: [] })).toBeNull();
  });

  it('still breaks the steps at a recorded gap, holding the last sample only up to where the gap starts', () => {
    const tS = [0, 1e-4, 2e-4, 10e-4, 11e-4];
    const v = [1, 2, 3, 4, 5];
    const [t, , , mean] = traceColumns({
      tS,
      min: v,
      max: v,
      mean: v,
      bucketS: 1e-4,
      gaps: [{ startS: 2.5e-4, endS: 9.5e-4, lostSamples: 7, reason: 'device' }],
    });
    const nullAt = mean.indexOf(null);
    expect(mean.filter((x) => x === null)).toHaveLength(1);
    // Held sample 3 ends at the gap start, then the break, then the samples after the gap.
    expect(t[nullAt - 1]).toBeCloseTo(2.5e-4, 12);
    expect(mean[nullAt - 1]).toBe(3);
    expect(t[nullAt]! > 2.5e-4 && t[nullAt]! < 10e-4).toBe(true);
    expect(t.every((x, i) => i === 0 || x > t[i - 1]!)).toBe(true);
  });
});

describe('lineWidth', () => {
  it('draws a bucketed line (about a point per pixel column) one device pixel wide', () => {
    expect(lineWidth(1.5, 1300, 1300, 1)).toBe(1);
    expect(lineWidth(1.5, 1300, 2600, 2)).toBe(0.5);
    expect(lineWidth(1, 1300, 1300, 1)).toBe(1);
  });
  it('keeps the width of a sparse line (deep zoom, individual samples)', () => {
    expect(lineWidth(1.5, 200, 1300, 1)).toBe(1.5);
    expect(lineWidth(1.5, 600, 2600, 2)).toBe(1.5);
  });
});

describe('wheel zoom and pan of the stored trace', () => {
  it('zooms about the cursor: the time under it stays put, and never past the session', () => {
    const v = zoomAbout({ fromS: 10, toS: 20 }, 12, 0.5, 100);
    expect(v.toS - v.fromS).toBeCloseTo(5, 12);
    expect((12 - v.fromS) / (v.toS - v.fromS)).toBeCloseTo(0.2, 12);
    expect(zoomAbout({ fromS: 10, toS: 20 }, 15, 100, 100)).toEqual({ fromS: 0, toS: 100 });
    const edge = zoomAbout({ fromS: 0, toS: 10 }, 1, 2, 100);
    expect(edge).toEqual({ fromS: 0, toS: 20 });
    expect(zoomAbout({ fromS: 1, toS: 1 + 2e-6 }, 1, 0.01, 100).toS - 1).toBeCloseTo(MIN_VIEW_S, 12);
  });
  it('pans at the same width and stops at either end of the session', () => {
    expect(panBy({ fromS: 10, toS: 20 }, 5, 100)).toEqual({ fromS: 15, toS: 25 });
    expect(panBy({ fromS: 10, toS: 20 }, -50, 100)).toEqual({ fromS: 0, toS: 10 });
    expect(panBy({ fromS: 10, toS: 20 }, 500, 100)).toEqual({ fromS: 90, toS: 100 });
  });
});
