// The recorder: fixed-duration chunks, summaries from them, samples before Record dropped, gaps recorded.
import { describe, expect, it } from 'vitest';
import { STORAGE_CHUNK_SECONDS } from '../../../main/session/recorder';
import { sessionSummary } from '../../../main/store/session-summary';
import { makeChunk } from '../../helpers/fake-meter';
import { recordingSetup, squareWave } from '../../helpers/recording';

describe('SessionRecorder + SessionsRepo', () => {
  it('stores fixed-duration chunks and computes the summary (samples, mean power, energy) from them', () => {
    const { repo, meter, rec } = recordingSetup();
    let t = rec.startNs;
    let n = 0;
    for (const size of [37, 400, 263, 300]) {
      meter.push(makeChunk(t, 1000, size, squareWave, n));
      t += size * 1e6;
      n += size;
    }
    rec.stop();
    const row = repo.get(rec.sessionId);
    const s = sessionSummary(repo, row);
    expect(s.status).toBe('complete');
    expect(s.samples).toBe(1000);
    expect(s.meanPowerW).toBeCloseTo(1.5, 5);
    // 1000 samples at 1 ms each, mean 1.5 W → 1.5 J
    expect(s.energyJ).toBeCloseTo(1.5, 5);
    expect(repo.chunkCount(rec.sessionId)).toBe(Math.ceil(1 / STORAGE_CHUNK_SECONDS));
  });

  it('drops samples taken before Record was pressed and records gaps explicitly', () => {
    const { repo, meter, rec } = recordingSetup();
    meter.push(makeChunk(rec.startNs - 50e6, 1000, 100, squareWave)); // half before the start
    meter.gap({ startNs: rec.startNs + 50e6, endNs: rec.startNs + 150e6, lostSamples: 100, reason: 'unplugged' });
    meter.push(makeChunk(rec.startNs + 150e6, 1000, 50, squareWave));
    rec.stop();
    const s = sessionSummary(repo, repo.get(rec.sessionId));
    expect(s.samples).toBe(100);
    expect(s.gaps).toBe(1);
    expect(s.lostSamples).toBe(100);
    const g = repo.gaps(rec.sessionId)[0]!;
    expect(g.start_ns).toBeCloseTo(50e6, -1);
    expect(g.reason).toBe('unplugged');
  });
});
