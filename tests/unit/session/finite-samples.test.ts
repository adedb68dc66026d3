import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SessionSummarySchema } from '../../../main/api/contract';
import { NON_FINITE_REASON, splitNonFinite } from '../../../main/session/finite-samples';
import { SessionRecorder } from '../../../main/session/recorder';
import { openDatabase } from '../../../main/store/database';
import { sessionSummary } from '../../../main/store/session-summary';
import { SessionsRepo } from '../../../main/store/sessions-repo';
import { FakeMeter, makeChunk } from '../../helpers/fake-meter';

const steady = (): [number, number, number] => [0.2, 5, 1];

describe('non-finite samples never reach the store', () => {
  it('splits a chunk into its finite runs and one exact gap per run of non-finite samples', () => {
    const c = makeChunk(1e9, 1000, 10, (i) => (i === 3 || i === 4 ? [NaN, 5, 1] : i === 8 ? [0.2, 5, Infinity] : steady()));
    const parts = splitNonFinite(c);
    expect(parts.map((p) => ('gap' in p ? `gap ${p.gap.lostSamples}` : `data ${p.chunk.count}`))).toEqual(['data 3', 'gap 2', 'data 3', 'gap 1', 'data 1']);
    const gap = (parts[1] as { gap: { startNs: number; endNs: number; reason: string } }).gap;
    expect(gap).toMatchObject({ startNs: 1e9 + 3e6, endNs: 1e9 + 5e6, reason: NON_FINITE_REASON });
    expect((parts[2] as { chunk: { t0Ns: number } }).chunk.t0Ns).toBe(1e9 + 5e6);
    // An all-finite chunk is passed through as it is.
    const ok = makeChunk(0, 1000, 5, steady);
    expect(splitNonFinite(ok)[0]).toEqual({ chunk: ok });
  });

  it('records a meter that sends NaN and Infinity as gaps; the stored session stays readable', () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'ddi-finite-')), 'db.sqlite'));
    const repo = new SessionsRepo(db);
    const meter = new FakeMeter();
    const rec = new SessionRecorder(repo, meter, { name: 'broken meter' });
    const t0 = rec.startNs + 1e6;
    // 1000 samples at 1 kS/s: 100..149 NaN current, 600 +Infinity power (float32 overflow of 1e99).
    meter.push(makeChunk(t0, 1000, 1000, (i) => (i >= 100 && i < 150 ? [NaN, 5, 1] : i === 600 ? [0.2, 5, 1e99] : steady())));
    rec.stop();
    const summary = sessionSummary(repo, repo.get(rec.sessionId));
    expect(SessionSummarySchema.safeParse(summary).success).toBe(true);
    expect(summary.samples).toBe(1000 - 50 - 1);
    expect(summary.meanPowerW).toBeCloseTo(1, 5);
    const gaps = repo.gaps(rec.sessionId).filter((g) => g.reason === NON_FINITE_REASON);
    expect(gaps.map((g) => [g.start_ns - (t0 - rec.startNs), g.end_ns - (t0 - rec.startNs), g.lost_samples])).toEqual([
      [100e6, 150e6, 50],
      [600e6, 601e6, 1],
    ]);
    const stats = db
      .prepare('SELECT count(*) AS n FROM sample_chunks WHERE session_id = ? AND (abs(power_mean) > 1e300 OR power_mean != power_mean)')
      .get(rec.sessionId) as { n: number };
    expect(stats.n).toBe(0);
    db.close();
  });
});
