/**
 * Deferred storage (SessionRecorder.deferStorage): while a profiling run's engine works, chunk and gap
 * writes wait and then happen in arrival order; held past MAX_STORAGE_DEFER_MS they go ahead anyway,
 * and a stop writes whatever is held. Nothing is lost or reordered either way.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_STORAGE_DEFER_MS, SessionRecorder, STORAGE_CHUNK_SECONDS } from '../../../main/session/recorder';
import { openDatabase, type Db } from '../../../main/store/database';
import { SessionsRepo } from '../../../main/store/sessions-repo';
import { FakeMeter, makeChunk } from '../../helpers/fake-meter';
import { meterFixture } from '../meters/helpers/meter-fixture';

const fx = meterFixture();
const RATE = 1000;
const PER_CHUNK = STORAGE_CHUNK_SECONDS * RATE;

async function setup() {
  const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'ddi-defer-')), 'db.sqlite'));
  fx.defer(() => {
    db.close();
  });
  const repo = new SessionsRepo(db);
  const meter = new FakeMeter();
  await meter.open();
  const rec = new SessionRecorder(repo, meter, { name: 'deferred' });
  let next = rec.startNs;
  let pushed = 0;
  /** `n` samples from where the last push ended (10 ms batches). */
  const push = (n: number) => {
    for (let k = 0; k < n; k += 10) {
      meter.push(makeChunk(next, RATE, 10, () => [0.01, 3, 0.03], pushed));
      next += 10e6;
      pushed += 10;
    }
  };
  const skip = (ms: number) => {
    meter.gap({ startNs: next, endNs: next + ms * 1e6, lostSamples: ms, reason: 'test gap' });
    next += ms * 1e6;
  };
  return { db, rec, push, skip, pushed: () => pushed, sessionId: rec.sessionId };
}

const chunks = (db: Db, id: number) =>
  db.prepare('SELECT seq, t0_ns AS t0, count FROM sample_chunks WHERE session_id = ? ORDER BY seq').all(id) as { seq: number; t0: number; count: number }[];
const gaps = (db: Db, id: number) => (db.prepare('SELECT COUNT(*) AS n FROM gaps WHERE session_id = ?').get(id) as { n: number }).n;

describe('deferred storage', () => {
  it('holds chunk and gap writes until released, then writes them in arrival order', async () => {
    const { db, rec, push, skip, sessionId } = await setup();
    push(PER_CHUNK);
    expect(chunks(db, sessionId)).toHaveLength(1);
    const release = rec.deferStorage();
    const inner = rec.deferStorage();
    push(2 * PER_CHUNK);
    skip(30);
    push(PER_CHUNK);
    // Cut into chunks (the gap closed one early), none written yet.
    expect(chunks(db, sessionId)).toHaveLength(1);
    expect(gaps(db, sessionId)).toBe(0);
    inner();
    expect(chunks(db, sessionId)).toHaveLength(1); // nested: the outer deferral still holds
    release();
    release(); // a second call does nothing
    const c = chunks(db, sessionId);
    expect(c.map((x) => x.seq)).toEqual([0, 1, 2, 3]);
    expect(c.map((x) => x.count)).toEqual([PER_CHUNK, PER_CHUNK, PER_CHUNK, PER_CHUNK]);
    // Contiguous in time up to the gap, the last one after it.
    expect(c.map((x) => (x.t0 - c[0]!.t0) / 1e6)).toEqual([0, 250, 500, 780]);
    expect(gaps(db, sessionId)).toBe(1);
    expect(rec.storedSamples).toBe(4 * PER_CHUNK);
  });

  it('writes held chunks once the first has waited MAX_STORAGE_DEFER_MS, still deferred', async () => {
    const { db, rec, push, sessionId } = await setup();
    rec.deferStorage();
    push(PER_CHUNK);
    expect(chunks(db, sessionId)).toHaveLength(0);
    await new Promise((r) => setTimeout(r, MAX_STORAGE_DEFER_MS + 50));
    push(PER_CHUNK);
    expect(chunks(db, sessionId).map((x) => x.seq)).toEqual([0, 1]);
  });

  it('stop() writes what a deferral still holds, before the last partial chunk', async () => {
    const { db, rec, push, pushed, sessionId } = await setup();
    rec.deferStorage();
    push(2 * PER_CHUNK + 30);
    expect(chunks(db, sessionId)).toHaveLength(0);
    rec.stop();
    const c = chunks(db, sessionId);
    expect(c.map((x) => [x.seq, x.count])).toEqual([
      [0, PER_CHUNK],
      [1, PER_CHUNK],
      [2, 30],
    ]);
    expect(c.reduce((s, x) => s + x.count, 0)).toBe(pushed());
  });
});
