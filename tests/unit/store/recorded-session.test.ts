// What the store makes of a recording: the trace pyramid's envelope, interrupted sessions, digital
// inputs and the power a summary can (or cannot) derive.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SessionRecorder } from '../../../main/session/recorder';
import { openDatabase } from '../../../main/store/database';
import { sessionSummary } from '../../../main/store/session-summary';
import { SessionsRepo } from '../../../main/store/sessions-repo';
import { queryTrace } from '../../../main/store/trace-query';
import { FakeMeter, makeChunk } from '../../helpers/fake-meter';
import { recordingSetup, squareWave } from '../../helpers/recording';

describe('a recorded session in the store', () => {
  it('draws a trace whose envelope matches the raw samples at coarse and fine zoom', () => {
    const { db, meter, rec } = recordingSetup();
    meter.push(makeChunk(rec.startNs, 1000, 2000, squareWave));
    rec.stop();
    const coarse = queryTrace(db, { sessionId: rec.sessionId, channel: 'power', fromS: 0, toS: 2, points: 4 });
    expect(coarse.tS).toHaveLength(4);
    coarse.min.forEach((v) => expect(v).toBeCloseTo(1));
    coarse.max.forEach((v) => expect(v).toBeCloseTo(2));
    coarse.mean.forEach((v) => expect(v).toBeCloseTo(1.5));
    // 10 ms buckets aligned with the square wave: alternately exactly 2 W and 1 W.
    const fine = queryTrace(db, { sessionId: rec.sessionId, channel: 'power', fromS: 0.1, toS: 0.2, points: 10 });
    expect(fine.tS).toHaveLength(10);
    fine.mean.forEach((v, k) => expect(v).toBeCloseTo(k % 2 === 0 ? 2 : 1));
  });

  it('marks a session left recording by a dead process as interrupted, keeping its data', () => {
    const { repo, meter, rec, db } = recordingSetup();
    meter.push(makeChunk(rec.startNs, 1000, 500, squareWave));
    // Simulate the crash: the writer is another pid that no longer runs.
    db.prepare('UPDATE sessions SET writer_pid = ? WHERE id = ?').run(999999, rec.sessionId);
    const recovered = repo.recoverInterrupted((pid) => pid !== 999999);
    expect(recovered).toEqual([rec.sessionId]);
    const s = sessionSummary(repo, repo.get(rec.sessionId));
    expect(s.status).toBe('interrupted');
    expect(s.samples).toBe(500);
    expect(s.durationS).toBeCloseTo(0.5, 3);
  });
});

describe('digital inputs', () => {
  it("stores each chunk's digital bytes run-length encoded and decodable to the exact samples", async () => {
    const { db, meter, rec } = recordingSetup();
    const { decodeDigital } = await import('../../../main/store/digital-codec');
    const chunk = makeChunk(rec.startNs, 1000, 250, squareWave);
    chunk.digital = new Uint8Array(250);
    chunk.digital.fill(3, 100, 120);
    meter.push(chunk);
    rec.stop();
    const row = db.prepare('SELECT count, digital FROM sample_chunks WHERE session_id = ?').get(rec.sessionId) as { count: number; digital: Buffer };
    expect(row.digital.length).toBeLessThan(10);
    expect(Array.from(decodeDigital(row.digital, row.count))).toEqual(Array.from(chunk.digital));
  });
});

describe('current-only meters with a known supply voltage (PPK2 source mode)', () => {
  it('derives mean power and energy from current × the nominal voltage, and says so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ddi-rec-'));
    const db = openDatabase(join(dir, 'db.sqlite'));
    const repo = new SessionsRepo(db);
    const meter = new FakeMeter({ channels: ['current'], sampleRateHz: 1000, digitalInputs: 0, deviceClock: false, simulated: false });
    (meter.capabilities as { nominalVoltageV?: number }).nominalVoltageV = 3.3;
    const rec = new SessionRecorder(repo, meter, { name: 'ppk2-like' });
    const chunk = { t0Ns: rec.startNs, periodNs: 1e6, count: 1000, channels: ['current' as const], data: [new Float32Array(1000).fill(0.01)] };
    meter.push(chunk);
    rec.stop();
    const s = sessionSummary(repo, repo.get(rec.sessionId));
    expect(s.meanPowerW).toBeCloseTo(0.033, 6);
    expect(s.energyJ).toBeCloseTo(0.033, 6); // 1 s at 33 mW
    expect(s.powerSource).toBe('nominal-voltage');
  });

  it('leaves power unknown when the meter measures current only and knows no voltage', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ddi-rec-'));
    const repo = new SessionsRepo(openDatabase(join(dir, 'db.sqlite')));
    const meter = new FakeMeter({ channels: ['current'], sampleRateHz: 1000, digitalInputs: 0, deviceClock: false, simulated: false });
    const rec = new SessionRecorder(repo, meter, { name: 'ampere-meter' });
    meter.push({ t0Ns: rec.startNs, periodNs: 1e6, count: 10, channels: ['current'], data: [new Float32Array(10).fill(0.01)] });
    rec.stop();
    const s = sessionSummary(repo, repo.get(rec.sessionId));
    expect(s.meanPowerW).toBeNull();
    expect(s.energyJ).toBeNull();
    expect(s.powerSource).toBeNull();
  });
});
