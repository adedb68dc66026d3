/** The live view never receives NaN or Infinity, whatever the meter sends. */
import { describe, expect, it, vi } from 'vitest';
import { LiveBatchSchema } from '../../../main/api/contract';
import { finiteRuns, LiveFeed, LIVE_INTERVAL_MS } from '../../../main/core/live-feed';
import { FakeMeter, makeChunk } from '../../helpers/fake-meter';

describe('LiveFeed', () => {
  it('splits a plane into runs of finite values', () => {
    expect(finiteRuns([1, NaN, 2, 3, Infinity, -Infinity, 4], 7)).toEqual([
      [0, 1],
      [2, 4],
      [6, 7],
    ]);
    expect(finiteRuns([NaN], 1)).toEqual([]);
  });

  it('sends only finite values when a meter emits non-finite samples', async () => {
    vi.useFakeTimers();
    try {
      const meter = new FakeMeter();
      const batches: unknown[] = [];
      const feed = new LiveFeed(meter, 0, (b) => batches.push(b));
      const bad = (i: number): [number, number, number] => (i % 7 === 3 ? [Infinity, 5, Infinity] : i % 11 === 5 ? [NaN, 5, NaN] : [0.2, 5, 1]);
      meter.push(makeChunk(0, 1000, 100, bad));
      meter.push(makeChunk(100e6, 1000, 100, bad, 100));
      vi.advanceTimersByTime(LIVE_INTERVAL_MS * 3);
      feed.stop();
      expect(batches.length).toBeGreaterThan(0);
      for (const b of batches) {
        expect(LiveBatchSchema.safeParse(b).success).toBe(true);
        const batch = b as { min: number[]; max: number[]; latest: Record<string, number> };
        expect(batch.min.every(Number.isFinite) && batch.max.every(Number.isFinite)).toBe(true);
        expect(batch.latest.power).toBeCloseTo(1, 6);
      }
    } finally {
      vi.useRealTimers();
    }
  });
});
