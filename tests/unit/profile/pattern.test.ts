import { describe, expect, it } from 'vitest';
import { busyIntervals, expectedLevel, internalEdges, makePattern, mlsBits, MLS_DEGREES, patternDurationNs } from '../../../main/profile/pattern';

describe('m-sequence pattern', () => {
  it('is maximal for every supported degree: 2^n − 1 bits, 2^(n−1) ones, every n-bit window once', () => {
    for (const n of MLS_DEGREES) {
      const bits = mlsBits(n);
      const len = 2 ** n - 1;
      expect(bits).toHaveLength(len);
      expect(bits.filter((b) => b === 1)).toHaveLength(2 ** (n - 1));
      // Every non-zero n-bit state appears exactly once per period (cyclically): the defining property.
      const seen = new Set<number>();
      for (let i = 0; i < len; i++) {
        let w = 0;
        for (let j = 0; j < n; j++) w = (w << 1) | bits[(i + j) % len]!;
        seen.add(w);
      }
      expect(seen.size, `degree ${n}`).toBe(len);
      expect(seen.has(0)).toBe(false);
    }
    expect(() => mlsBits(1)).toThrow(/not supported/);
  });

  it('has a two-valued periodic autocorrelation (N at 0, −1 elsewhere) for the default 31 slots', () => {
    const w = mlsBits(5).map((b) => (b ? 1 : -1));
    for (let k = 0; k < 31; k++) {
      const r = w.reduce((s, v, i) => s + v * w[(i + k) % 31]!, 0);
      expect(r).toBe(k === 0 ? 31 : -1);
    }
  });

  it('describes the schedule as a waveform, busy stretches and edges', () => {
    const s = makePattern({ slotNs: 1000, startOffsetNs: 500 });
    expect(s.bits).toHaveLength(31);
    expect(patternDurationNs(s)).toBe(500 + 31_000);
    expect(expectedLevel(s, 499)).toBe(0);
    expect(expectedLevel(s, 31_500)).toBe(0);
    for (let k = 0; k < 31; k++) expect(expectedLevel(s, 500 + k * 1000 + 10)).toBe(s.bits[k] ? 1 : -1);
    const busy = busyIntervals(s);
    expect(busy.reduce((t, b) => t + b.endNs - b.startNs, 0)).toBe(16_000);
    for (const b of busy) {
      expect(expectedLevel(s, b.startNs)).toBe(1);
      expect(expectedLevel(s, b.endNs)).not.toBe(1);
    }
    const edges = internalEdges(s);
    expect(edges).toHaveLength(2 * busy.length - (s.bits[0] ? 1 : 0) - (s.bits[30] ? 1 : 0));
    expect(() => makePattern({ slotNs: 0 })).toThrow(/positive/);
  });
});
