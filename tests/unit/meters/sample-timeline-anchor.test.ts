/**
 * Where a PPK2 stream starts on the host clock: at the transport's own delay, whatever the host was
 * doing when the first bytes arrived, so that two runs whose transports differ by 20 ms are placed
 * 20 ms apart (the profiler's alignment measures exactly this offset).
 */
import { describe, expect, it } from 'vitest';
import { SampleTimeline } from '../../../main/meters/ppk2/sample-timeline';
import type { Ppk2Event } from '../../../main/meters/ppk2/sample-decoder';

const P = 10_000;

/**
 * Reads of `per` samples every `per`·P ns, arriving `delayMs` after their last sample was taken; the
 * first batch arrives `firstLateMs` later still (the transport or the host held it up), together with
 * nothing newer, as when a device's first USB transfers are delayed.
 */
function feed(timeline: SampleTimeline, opts: { trueStartNs: number; delayMs: number; firstLateMs: number; reads: number; per: number }): void {
  const { trueStartNs, delayMs, firstLateMs, reads, per } = opts;
  let sent = per;
  const words = (n: number): Ppk2Event[] => [{ type: 'words', words: new Uint32Array(n) }];
  let last = trueStartNs + sent * P + delayMs * 1e6 + firstLateMs * 1e6;
  timeline.push(last, words(per));
  for (let r = 0; r < reads; r++) {
    sent += per;
    // A little jitter above the transport's delay, never below it; what queued behind the late
    // first batch arrives right after it.
    const jitterNs = ((r * 7919) % 13) * 50_000;
    last = Math.max(last, trueStartNs + sent * P + delayMs * 1e6 + jitterNs);
    timeline.push(last, words(per));
  }
  timeline.flush();
}

describe('SampleTimeline start', () => {
  it('is placed at the lowest lag of the first reads, not at the (late) first read', () => {
    for (const firstLateMs of [0, 8, 40]) {
      const t = new SampleTimeline();
      feed(t, { trueStartNs: 1e9, delayMs: 20, firstLateMs, reads: 500, per: 100 });
      // Stored time of sample 0 = true time + the transport delay (20 ms), within a sample.
      expect(Math.abs(t.startNs! - (1e9 + 20e6))).toBeLessThanOrEqual(P);
    }
  });

  it('without anchoring, a late first read shifts the whole stream (what the anchoring prevents)', () => {
    const t = new SampleTimeline({ anchorMs: 0 });
    feed(t, { trueStartNs: 1e9, delayMs: 20, firstLateMs: 8, reads: 500, per: 100 });
    expect(t.startNs! - (1e9 + 20e6)).toBeGreaterThan(7e6);
  });

  it('two transports 20 ms apart give starts 20 ms apart whatever the first reads did', () => {
    const a = new SampleTimeline();
    const b = new SampleTimeline();
    feed(a, { trueStartNs: 5e9, delayMs: 3, firstLateMs: 12, reads: 500, per: 100 });
    feed(b, { trueStartNs: 5e9, delayMs: 23, firstLateMs: 1, reads: 500, per: 100 });
    expect(Math.abs(b.startNs! - a.startNs! - 20e6)).toBeLessThanOrEqual(2 * P);
  });

  it('releases the anchoring reads in order once the start is fixed, and on flush', () => {
    const t = new SampleTimeline({ anchorMs: 300 });
    const first = t.push(1e9, [{ type: 'words', words: new Uint32Array(10) }]);
    expect(first).toEqual([]);
    expect(t.holding).toBe(true);
    const out = t.flush();
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ type: 'words', index: 0 });
    expect(t.holding).toBe(false);
  });
});

describe('SampleTimeline backlog without a counter jump', () => {
  it('a lag raised for a second by a queue upstream, then drained, is not loss', () => {
    const t = new SampleTimeline();
    const items: ReturnType<SampleTimeline['push']> = [];
    const per = 100;
    let sent = 0;
    let last = 0;
    const T0 = 1e9;
    for (let r = 0; r < 3000; r++) {
      sent += per;
      const produced = T0 + sent * P;
      // 0.5 s normal; the host reads nothing for 150 ms; then the data comes 100 ms late for 1 s
      // (a queue on the device side); then the queue drains and the lag is back to 1 ms.
      let arrival = produced + 1e6;
      if (produced > T0 + 0.5e9 && produced < T0 + 0.65e9) arrival = T0 + 0.65e9 + 100e6;
      else if (produced >= T0 + 0.65e9 && produced < T0 + 1.65e9) arrival = produced + 100e6;
      last = Math.max(last, arrival);
      items.push(...t.push(last, [{ type: 'words', words: new Uint32Array(per) }]));
    }
    items.push(...t.flush());
    expect(items.filter((i) => i.type === 'gap')).toEqual([]);
    let next = 0;
    for (const i of items) {
      expect(i.index).toBe(next);
      if (i.type === 'words') next += i.words.length;
    }
    expect(next).toBe(sent);
  });
});
