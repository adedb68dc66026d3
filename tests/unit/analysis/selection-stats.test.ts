// Selection statistics against values worked out by hand from known samples: each sample holds for
// one period, edge samples count for their part inside the range, time without samples is left out.
import { describe, expect, it } from 'vitest';
import { selectionStats, type StatsChunk } from '../../../main/analysis/selection-stats';

const MS = 1e6; // ns

/** 1 ms samples: A at 0–4 ms, nothing 4–6 ms (lost), B at 6–8 ms. V = 2 V throughout. */
const A: StatsChunk = { t0Ns: 0, periodNs: MS, count: 4, planes: { current: [1, 2, 3, 4], voltage: [2, 2, 2, 2], power: [2, 4, 6, 8] } };
const B: StatsChunk = { t0Ns: 6 * MS, periodNs: MS, count: 2, planes: { current: [5, 1], voltage: [2, 2], power: [10, 2] } };
const GAP = { startS: 0.004, endS: 0.006, lostSamples: 2, reason: 'meter disconnected' };

describe('selection statistics', () => {
  it('weights the cut edge samples by their time inside the range and leaves the gap out', () => {
    // [0.5 ms, 6.5 ms): A0 for 0.5 ms, A1..A3 whole, the gap excluded, B0 for 0.5 ms.
    // ∫I dt = 1·0.5 + 2 + 3 + 4 + 5·0.5 = 12 A·ms; covered 4 ms; ∫P dt = 24 W·ms.
    const s = selectionStats([A, B], 0.5 * MS, 6.5 * MS, null, [GAP]);
    expect(s.durationS).toBeCloseTo(0.006, 12);
    expect(s.coveredS).toBeCloseTo(0.004, 12);
    expect(s.uncoveredS).toBeCloseTo(0.002, 12);
    expect(s.samples).toBe(5);
    expect(s.chargeC).toBeCloseTo(0.012, 12);
    expect(s.chargeMAh).toBeCloseTo(0.012 / 3.6, 12);
    expect(s.energyJ).toBeCloseTo(0.024, 12);
    expect(s.energyWh).toBeCloseTo(0.024 / 3600, 15);
    expect(s.current).toEqual({ mean: expect.closeTo(3, 12), min: 1, max: 5 });
    expect(s.power).toEqual({ mean: expect.closeTo(6, 12), min: 2, max: 10 });
    expect(s.voltage).toEqual({ mean: 2, min: 2, max: 2 });
    expect(s.powerSource).toBe('measured');
    expect(s.nominalVoltageV).toBeNull();
    expect(s.gaps).toEqual([GAP]);
    expect(s.lostSamples).toBe(2);
  });

  it('gives the exact figures of the whole recording when the range covers it', () => {
    // ∫I dt = (1+2+3+4+5+1)·1 ms = 16 A·ms over 6 ms of samples.
    const s = selectionStats([A, B], 0, 8 * MS);
    expect(s.chargeC).toBeCloseTo(0.016, 12);
    expect(s.energyJ).toBeCloseTo(0.032, 12);
    expect(s.current!.mean).toBeCloseTo(16 / 6, 12);
    expect(s.samples).toBe(6);
    expect(s.uncoveredS).toBeCloseTo(0.002, 12);
  });

  it('a range inside one sample is that sample held for the range', () => {
    const s = selectionStats([A, B], 1.25 * MS, 1.75 * MS);
    expect(s.samples).toBe(1);
    expect(s.chargeC).toBeCloseTo(2 * 0.5e-3, 12);
    expect(s.current).toEqual({ mean: 2, min: 2, max: 2 });
  });

  it('a range that falls entirely in the gap has no numbers, only the gap', () => {
    const s = selectionStats([A, B], 4.2 * MS, 5.8 * MS, null, [GAP]);
    expect(s.samples).toBe(0);
    expect(s.current).toBeNull();
    expect(s.chargeC).toBeNull();
    expect(s.energyJ).toBeNull();
    expect(s.uncoveredS).toBeCloseTo(0.0016, 12);
  });

  it('current-only chunks: power is current × the assumed voltage, and says so', () => {
    const ppk: StatsChunk = { t0Ns: 0, periodNs: 0.01 * MS, count: 4, planes: { current: [0.001, 0.002, 0.003, 0.004] } };
    // [5 µs, 35 µs): 0.001·5 + 0.002·10 + 0.003·10 + 0.004·5 = 0.075 A·µs.
    const s = selectionStats([ppk], 0.005 * MS, 0.035 * MS, 3.3);
    expect(s.chargeC).toBeCloseTo(0.075e-6, 15);
    expect(s.energyJ).toBeCloseTo(0.075e-6 * 3.3, 15);
    expect(s.powerSource).toBe('nominal-voltage');
    expect(s.nominalVoltageV).toBe(3.3);
    expect(s.voltage).toBeNull();
    // Without a known voltage there is no power at all, only current and charge.
    const bare = selectionStats([ppk], 0, 0.04 * MS, null);
    expect(bare.energyJ).toBeNull();
    expect(bare.power).toBeNull();
    expect(bare.powerSource).toBeNull();
    expect(bare.chargeC).toBeCloseTo(0.1e-6, 15);
  });

  it('never counts the same time twice when two chunks overlap (a reconnect a little early)', () => {
    const early: StatsChunk = { t0Ns: 3.5 * MS, periodNs: MS, count: 2, planes: { current: [10, 10] } };
    // A covers 0–4 ms; early would re-cover 3.5–4 ms: only its 4–5.5 ms part counts (1.5 ms × 10 A).
    const s = selectionStats([A, early], 0, 6 * MS);
    expect(s.coveredS).toBeCloseTo(0.0055, 12);
    expect(s.chargeC).toBeCloseTo((10 + 15) * 1e-3, 12);
  });
});
