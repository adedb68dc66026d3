/** The live feed carries every channel, the digital inputs and the recording's running totals. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { LiveBatchSchema, type LiveBatch } from '../../../main/api/contract';
import { LiveFeed, LIVE_INTERVAL_MS } from '../../../main/core/live-feed';
import { SessionRecorder } from '../../../main/session/recorder';
import { openDatabase } from '../../../main/store/database';
import { SessionsRepo } from '../../../main/store/sessions-repo';
import { FakeMeter, makeChunk } from '../../helpers/fake-meter';

describe('LiveFeed channels and digital inputs', () => {
  it('sends each channel its own buckets and, per bucket, the bits that stayed high and stayed low', () => {
    vi.useFakeTimers();
    try {
      const meter = new FakeMeter({ channels: ['current', 'voltage', 'power'], sampleRateHz: 1000, digitalInputs: 8, deviceClock: false, simulated: false });
      const batches: LiveBatch[] = [];
      const feed = new LiveFeed(
        meter,
        0,
        (b) => batches.push(b),
        () => ({ sessionId: 7, samples: 10, chargeC: 0.5, energyJ: 2.5, energySource: 'power' }),
      );
      const chunk = makeChunk(0, 1000, 20, (i) => [0.1 * i, 5, 0.5 * i]);
      // D0 always high, D1 always low, D2 high only in the second 5 ms bucket's last sample.
      chunk.digital = Uint8Array.from({ length: 20 }, (_, i) => 0b001 | (i === 9 ? 0b100 : 0));
      meter.push(chunk);
      vi.advanceTimersByTime(LIVE_INTERVAL_MS);
      feed.stop();
      expect(batches).toHaveLength(1);
      const b = batches[0]!;
      expect(LiveBatchSchema.safeParse(b).success).toBe(true);
      // Buckets of 5 samples each; 3 closed (the 4th is still filling).
      expect(b.channels!.current!.max).toEqual([0.4, 0.9, 1.4].map((v) => expect.closeTo(v, 5)));
      expect(b.channels!.power!.min).toEqual([0, 2.5, 5].map((v) => expect.closeTo(v, 5)));
      expect(b.channels!.voltage!.mean).toEqual([5, 5, 5]);
      expect(b.mean).toEqual(b.channels!.power!.mean); // the default channel is power
      expect(b.digital!.names).toEqual(['D0', 'D1', 'D2', 'D3', 'D4', 'D5', 'D6', 'D7']);
      expect(b.digital!.high).toEqual([0b001, 0b001, 0b001]);
      expect(b.digital!.low).toEqual([0b11111110, 0b11111010, 0b11111110]);
      expect(b.recording).toEqual({ sessionId: 7, samples: 10, chargeC: 0.5, energyJ: 2.5, energySource: 'power' });
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('running totals of a recording', () => {
  it('integrates the stored samples: charge = ΣI·dt, energy = ΣP·dt, gaps contribute nothing', () => {
    const repo = new SessionsRepo(openDatabase(join(mkdtempSync(join(tmpdir(), 'ddi-tot-')), 'db.sqlite')));
    const meter = new FakeMeter();
    const rec = new SessionRecorder(repo, meter, { name: 't' });
    // 600 samples at 1 kS/s: 0.2 A × 5 V, then a gap, then 400 samples at 0.4 A × 5 V.
    meter.push(makeChunk(rec.startNs, 1000, 600, () => [0.2, 5, 1]));
    meter.gap({ startNs: rec.startNs + 600e6, endNs: rec.startNs + 1600e6, lostSamples: 1000, reason: 'unplugged' });
    meter.push(makeChunk(rec.startNs + 1600e6, 1000, 400, () => [0.4, 5, 2]));
    rec.stop();
    const t = rec.totals();
    expect(t.samples).toBe(1000);
    expect(t.chargeC).toBeCloseTo(0.2 * 0.6 + 0.4 * 0.4, 5);
    expect(t.energyJ).toBeCloseTo(1 * 0.6 + 2 * 0.4, 5);
    expect(t.energySource).toBe('power');
  });

  it('uses the nominal supply for a current-only meter and says so', () => {
    const repo = new SessionsRepo(openDatabase(join(mkdtempSync(join(tmpdir(), 'ddi-tot-')), 'db.sqlite')));
    const meter = new FakeMeter({
      channels: ['current'],
      sampleRateHz: 1000,
      digitalInputs: 0,
      deviceClock: false,
      simulated: false,
      nominalVoltageV: 3,
    } as never);
    const rec = new SessionRecorder(repo, meter, { name: 't' });
    meter.push({ t0Ns: rec.startNs, periodNs: 1e6, count: 500, channels: ['current'], data: [new Float32Array(500).fill(0.01)] });
    rec.stop();
    expect(rec.totals()).toEqual({ samples: 500, chargeC: expect.closeTo(0.005, 6), energyJ: expect.closeTo(0.015, 6), energySource: 'current×nominal' });
  });
});
