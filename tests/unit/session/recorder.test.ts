import { mkdtempSync, readFileSync, writeFileSync, chmodSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportSessionToFile } from '../../../main/export/session-export';
import { SessionRecorder, STORAGE_CHUNK_SECONDS } from '../../../main/session/recorder';
import { openDatabase } from '../../../main/store/database';
import { sessionSummary } from '../../../main/store/session-summary';
import { SessionsRepo } from '../../../main/store/sessions-repo';
import { queryTrace } from '../../../main/store/trace-query';
import { FakeMeter, makeChunk } from '../../helpers/fake-meter';

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'ddi-rec-'));
  const db = openDatabase(join(dir, 'db.sqlite'));
  const repo = new SessionsRepo(db);
  const meter = new FakeMeter();
  const rec = new SessionRecorder(repo, meter, { name: 'test' });
  return { dir, db, repo, meter, rec };
}

// A square wave: 2 W for 10 ms, 1 W for 10 ms, at 5 V; sample i at 1 kS/s.
const wave = (i: number): [number, number, number] => {
  const p = Math.floor(i / 10) % 2 === 0 ? 2 : 1;
  return [p / 5, 5, p];
};

describe('SessionRecorder + SessionsRepo', () => {
  it('stores fixed-duration chunks and computes the summary (samples, mean power, energy) from them', () => {
    const { repo, meter, rec } = setup();
    let t = rec.startNs;
    let n = 0;
    for (const size of [37, 400, 263, 300]) {
      meter.push(makeChunk(t, 1000, size, wave, n));
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
    const { repo, meter, rec } = setup();
    meter.push(makeChunk(rec.startNs - 50e6, 1000, 100, wave)); // half before the start
    meter.gap({ startNs: rec.startNs + 50e6, endNs: rec.startNs + 150e6, lostSamples: 100, reason: 'unplugged' });
    meter.push(makeChunk(rec.startNs + 150e6, 1000, 50, wave));
    rec.stop();
    const s = sessionSummary(repo, repo.get(rec.sessionId));
    expect(s.samples).toBe(100);
    expect(s.gaps).toBe(1);
    expect(s.lostSamples).toBe(100);
    const g = repo.gaps(rec.sessionId)[0]!;
    expect(g.start_ns).toBeCloseTo(50e6, -1);
    expect(g.reason).toBe('unplugged');
  });

  it('draws a trace whose envelope matches the raw samples at coarse and fine zoom', () => {
    const { db, meter, rec } = setup();
    meter.push(makeChunk(rec.startNs, 1000, 2000, wave));
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
    const { repo, meter, rec, db } = setup();
    meter.push(makeChunk(rec.startNs, 1000, 500, wave));
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

describe('export', () => {
  it('writes a CSV with one row per sample and only the measured channels, and a JSON with the summary', async () => {
    const { dir, db, repo, meter, rec } = setup();
    meter.push(makeChunk(rec.startNs, 1000, 600, wave));
    rec.stop();
    const csv = join(dir, 'out.csv');
    await exportSessionToFile(db, repo, rec.sessionId, 'csv', csv);
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('time_s,current_A,voltage_V,power_W');
    expect(lines).toHaveLength(601);
    const [t, i, v, p] = lines[11]!.split(',').map(Number);
    expect(t).toBeCloseTo(0.010, 9);
    expect([i, v, p]).toEqual([0.2, 5, 1]);
    const json = join(dir, 'out.json');
    await exportSessionToFile(db, repo, rec.sessionId, 'json', json);
    const doc = JSON.parse(readFileSync(json, 'utf8'));
    expect(doc.session.samples).toBe(600);
    expect(doc.session.energyJ).toBeCloseTo(0.9, 5);
    expect(doc.simulated).toBe(false);
  });

  it('refuses a bad session id or an unwritable path before writing anything', async () => {
    const { dir, db, repo, meter, rec } = setup();
    meter.push(makeChunk(rec.startNs, 1000, 10, wave));
    rec.stop();
    await expect(exportSessionToFile(db, repo, 42, 'csv', join(dir, 'x.csv'))).rejects.toThrow(/no session 42/);
    expect(existsSync(join(dir, 'x.csv'))).toBe(false);
    await expect(exportSessionToFile(db, repo, rec.sessionId, 'csv', join(dir, 'missing', 'x.csv'))).rejects.toThrow(/does not exist/);
    const ro = join(dir, 'ro');
    writeFileSync(join(dir, 'placeholder'), '');
    await import('node:fs').then((fs) => fs.mkdirSync(ro));
    chmodSync(ro, 0o500);
    if (process.getuid?.() === 0) {
      // root ignores directory permissions, so test the "is a folder" case, which root cannot write either.
      await expect(exportSessionToFile(db, repo, rec.sessionId, 'csv', ro)).rejects.toThrow(/is a folder/);
    } else {
      await expect(exportSessionToFile(db, repo, rec.sessionId, 'csv', join(ro, 'x.csv'))).rejects.toThrow(/no permission/);
    }
    expect(readdirSync(ro)).toEqual([]);
  });
});

describe('digital inputs', () => {
  it('stores each chunk\'s digital bytes run-length encoded and decodable to the exact samples', async () => {
    const { db, meter, rec } = setup();
    const { decodeDigital } = await import('../../../main/store/digital-codec');
    const chunk = makeChunk(rec.startNs, 1000, 250, wave);
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
