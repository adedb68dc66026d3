// Logic lanes of a stored session: per bucket, the D lines high/low throughout or toggled,
// read from the run-length copies (schema 7) and equal to what the decoded samples say.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AppCore } from '../../../main/core/app-core';
import { readChunks } from '../../../main/store/chunk-reader';
import { openDatabase, type Db } from '../../../main/store/database';
import { queryLogic } from '../../../main/store/logic-query';
import { SessionsRepo } from '../../../main/store/sessions-repo';

const PERIOD_NS = 1e4; // 100 kS/s
const COUNT = 25_000;

const closers: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

function tmpDb(): { path: string; db: Db } {
  const path = join(mkdtempSync(join(tmpdir(), 'ddi-logic-')), 'db.sqlite');
  const db = openDatabase(path);
  closers.push(() => {
    db.close();
  });
  return { path, db };
}

/** D0 toggles every 100 samples, D1 goes high at sample 30 000 for good, D2 is always high, the rest low. */
function digitalAt(n: number): number {
  return (Math.floor(n / 100) % 2) | (n >= 30_000 ? 2 : 0) | 4;
}

function record(db: Db, chunks: number, digital = true): number {
  const repo = new SessionsRepo(db);
  const id = repo.createSession({ name: 'd', kind: 'power', startMonoNs: 0, meterId: null, simulated: true, channels: ['current'], sampleRateHz: 1e5 });
  for (let k = 0; k < chunks; k++) {
    const plane = new Float32Array(COUNT).fill(1e-3);
    const d = new Uint8Array(COUNT);
    for (let i = 0; i < COUNT; i++) d[i] = digitalAt(k * COUNT + i);
    repo.insertChunk(id, k, k * COUNT * PERIOD_NS, {
      periodNs: PERIOD_NS,
      count: COUNT,
      channels: ['current'],
      data: [plane],
      ...(digital ? { digital: d } : {}),
    });
  }
  repo.finishSession(id, 'complete', (chunks * COUNT * PERIOD_NS) / 1e9);
  return id;
}

/** The same per-bucket answer computed from the decoded samples. */
function fromSamples(db: Db, id: number, fromS: number, toS: number, points: number): { high: number[]; low: number[] } {
  const bucketS = (toS - fromS) / points;
  const high = new Array<number>(points).fill(0xff);
  const low = new Array<number>(points).fill(0xff);
  const seen = new Array<boolean>(points).fill(false);
  for (const c of readChunks(db, id)) {
    if (c.damaged || !c.digital) continue;
    for (let i = 0; i < c.count; i++) {
      const t = (c.t0Ns + i * c.periodNs) / 1e9;
      if (t < fromS || t >= toS) continue;
      const b = Math.min(points - 1, Math.floor((t - fromS) / bucketS));
      high[b]! &= c.digital[i]!;
      low[b]! &= ~c.digital[i]! & 0xff;
      seen[b] = true;
    }
  }
  return { high: high.map((h, b) => (seen[b] ? h : 0)), low: low.map((l, b) => (seen[b] ? l : 0)) };
}

describe('logic lanes of a stored session', () => {
  it('says per bucket which lines were high or low throughout, as the decoded samples do', () => {
    const { db } = tmpDb();
    const id = record(db, 4); // 1 s
    for (const [fromS, toS, points] of [
      // Bucket edges between samples (a tie is a matter of float rounding either way).
      [0.0000025, 1.0000025, 100], // 1000 samples per bucket: D0 toggles in each, D1 flips in the 30th
      [0.2900025, 0.3100025, 400], // 5 samples per bucket: D0 steady in most
      [0.2499025, 0.2502025, 30], // across a chunk boundary, 1 sample per bucket
    ] as const) {
      const got = queryLogic(db, { sessionId: id, fromS, toS, points });
      const want = fromSamples(db, id, fromS, toS, points);
      expect(got.present).toBe(true);
      expect(got.high).toEqual(want.high);
      expect(got.low).toEqual(want.low);
    }
    const whole = queryLogic(db, { sessionId: id, fromS: 0, toS: 1, points: 100 });
    expect(whole.high[0]! & 0b111).toBe(0b100); // D2 high throughout, D0 toggled, D1 still low
    expect(whole.low[0]! & 0b111).toBe(0b010);
    expect(whole.high[99]! & 0b111).toBe(0b110); // D1 has gone high
  });

  it('reports no digital inputs for a session without them, and no data past the samples', () => {
    const { db } = tmpDb();
    const id = record(db, 1, false);
    const got = queryLogic(db, { sessionId: id, fromS: 0, toS: 0.5, points: 50 });
    expect(got.present).toBe(false);
    expect(got.covered.every((c) => !c)).toBe(true);
    const withD = record(db, 1);
    const half = queryLogic(db, { sessionId: withD, fromS: 0, toS: 0.5, points: 50 });
    expect(half.covered.slice(0, 25).every(Boolean)).toBe(true);
    expect(half.covered.slice(25).some(Boolean)).toBe(false);
  });

  it('is served as sessions.logic with D0–D7 names, and copies the digital inputs of chunks stored before schema 7', async () => {
    const { path, db } = tmpDb();
    const id = record(db, 2);
    // A database from before schema 7: the copies did not exist; the migration makes them.
    db.exec('DELETE FROM chunk_digital; DROP TABLE chunk_digital; DELETE FROM schema_migrations WHERE version = 7;');
    db.close();
    closers.pop();
    const core = AppCore.open({ dbPath: path, transport: 'browser' });
    closers.push(() => core.close());
    const logic = await core.call('sessions.logic', { id, points: 50 });
    expect(logic.names).toEqual(['D0', 'D1', 'D2', 'D3', 'D4', 'D5', 'D6', 'D7']);
    expect(logic.fromS).toBe(0);
    expect(logic.toS).toBeCloseTo(0.5, 9);
    expect(logic.high.every((h) => (h & 0b101) === 0b100)).toBe(true);
  });
});
