// The trace pyramid (schemas 4 and 5): zoomed-out traces are drawn from per-64 / per-1024-sample
// min/max/mean stored with each chunk and from blocks of 64 chunks, never by decoding the chunks'
// samples, and give the same buckets as the samples when the buckets line up with the pyramid's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../../main/store/database';
import { SessionsRepo } from '../../../main/store/sessions-repo';
import { queryTrace } from '../../../main/store/trace-query';
import { L1_SAMPLES, L2_SAMPLES, pyramidLevel } from '../../../main/store/trace-pyramid';

const PERIOD_NS = 100_000; // 10 kS/s
const dirs: string[] = [];
const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Sample i of the session: a sawtooth with a spike every 997 samples (exact in float32 after rounding). */
const value = (i: number): number => Math.fround((i % 300) / 100 + (i % 997 === 0 ? 50 : 0));

function session(chunks: number, count: number): { db: Db; id: number; total: number } {
  const dir = mkdtempSync(join(tmpdir(), 'ddi-pyramid-'));
  dirs.push(dir);
  const db = openDatabase(join(dir, 'db.sqlite'));
  dbs.push(db);
  const repo = new SessionsRepo(db);
  const id = repo.createSession({
    name: 'p',
    kind: 'power',
    startMonoNs: 0,
    meterId: null,
    simulated: false,
    channels: ['current', 'power'],
    sampleRateHz: 1e4,
  });
  for (let k = 0; k < chunks; k++) {
    const cur = new Float32Array(count);
    const pow = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      cur[i] = value(k * count + i);
      pow[i] = -value(k * count + i);
    }
    repo.insertChunk(id, k, k * count * PERIOD_NS, { periodNs: PERIOD_NS, count, channels: ['current', 'power'], data: [cur, pow] });
  }
  repo.finishSession(id, 'complete', (chunks * count * PERIOD_NS) / 1e9);
  return { db, id, total: chunks * count };
}

/** Min/max/mean of samples [k·per, (k+1)·per) for every bucket of `per` samples, from the samples themselves. */
function reference(total: number, per: number, sign = 1): { min: number[]; max: number[]; mean: number[] } {
  const out = { min: [] as number[], max: [] as number[], mean: [] as number[] };
  for (let from = 0; from < total; from += per) {
    const vs = Array.from({ length: Math.min(per, total - from) }, (_, j) => sign * value(from + j));
    out.min.push(Math.min(...vs));
    out.max.push(Math.max(...vs));
    out.mean.push(vs.reduce((a, b) => a + b, 0) / vs.length);
  }
  return out;
}

/** Makes every sample BLOB fail its CRC: a trace that decoded any chunk would report it damaged. */
function damageAllSamples(db: Db, id: number): void {
  db.prepare(`UPDATE sample_chunks SET data = zeroblob(length(data)) WHERE session_id = ?`).run(id);
}

describe('trace pyramid', () => {
  it('stores min, max and mean of each run of samples, the last run shorter', () => {
    const plane = new Float32Array([1, 5, 3, 2, 9]);
    const f = new Float32Array(new Uint8Array(pyramidLevel([plane], 5, 2)).buffer);
    expect([...f]).toEqual([1, 2, 9, 5, 3, 9, 3, 2.5, 9]);
  });

  it('draws a zoomed-out window from level 1 without decoding a sample, equal to the samples when buckets line up', () => {
    // 4 chunks of 2560 samples (0.256 s each); 16 buckets of 640 samples = 10 level-1 values each.
    const { db, id, total } = session(4, 2560);
    damageAllSamples(db, id);
    const t = queryTrace(db, { sessionId: id, channel: 'current', fromS: 0, toS: 1.024, points: 16 });
    expect(t.damaged).toEqual([]);
    const ref = reference(total, 640);
    expect(t.tS).toHaveLength(16);
    t.tS.forEach((s, k) => expect(s).toBeCloseTo(k * 0.064, 9));
    expect(t.min).toEqual(ref.min);
    expect(t.max).toEqual(ref.max); // every spike (50 A) survives
    t.mean.forEach((m, k) => expect(m).toBeCloseTo(ref.mean[k]!, 5));
    // The second channel comes from its own plane of the same rows.
    const p = queryTrace(db, { sessionId: id, channel: 'power', fromS: 0, toS: 1.024, points: 16 });
    expect(p.max).toEqual(reference(total, 640, -1).max);
  });

  it('uses level 2 when a bucket holds two of its runs, and chunk stats when it holds two chunks', () => {
    const { db, id, total } = session(8, L2_SAMPLES * 4); // 8 chunks of 4096 samples
    damageAllSamples(db, id);
    // Buckets of 2048 samples: two level-2 runs each.
    const l2 = queryTrace(db, { sessionId: id, channel: 'current', fromS: 0, toS: (total * PERIOD_NS) / 1e9, points: total / 2048 });
    expect(l2.damaged).toEqual([]);
    expect(l2.max).toEqual(reference(total, 2048).max);
    expect(l2.min).toEqual(reference(total, 2048).min);
    // Buckets of two chunks: the chunk stats.
    const chunks = queryTrace(db, { sessionId: id, channel: 'current', fromS: 0, toS: (total * PERIOD_NS) / 1e9, points: 4 });
    expect(chunks.max).toEqual(reference(total, 8192).max);
  });

  it('decodes, and checks, the samples of chunks stored without a pyramid (before schema 4)', () => {
    const { db, id, total } = session(4, 2560);
    db.prepare('DELETE FROM chunk_pyramid').run();
    const t = queryTrace(db, { sessionId: id, channel: 'current', fromS: 0, toS: 1.024, points: 16 });
    expect(t.max).toEqual(reference(total, 640).max);
    damageAllSamples(db, id);
    const d = queryTrace(db, { sessionId: id, channel: 'current', fromS: 0, toS: 1.024, points: 16 });
    expect(d.damaged).toHaveLength(4);
    expect(d.tS).toEqual([]);
  });

  it('decodes samples when buckets are narrower than two level-1 runs', () => {
    const { db, id, total } = session(4, 2560);
    // 0.2 s in 200 buckets of 10 samples: finer than 2 × 64 samples, so the samples are read.
    const t = queryTrace(db, { sessionId: id, channel: 'current', fromS: 0, toS: 0.2, points: 200 });
    const ref = reference(2000, 10);
    expect(t.max).toEqual(ref.max);
    expect(t.min).toEqual(ref.min);
    t.mean.forEach((m, k) => expect(m).toBeCloseTo(ref.mean[k]!, 5));
    expect(total).toBeGreaterThan(2000);
    expect(L1_SAMPLES * 2).toBeGreaterThan(10);
  });

  it("draws a long session's whole view from blocks of 64 chunks, reading chunk stats only at the window edges", () => {
    // 512 chunks of 100 samples (10 ms each): 8 blocks of 0.64 s.
    const { db, id, total } = session(512, 100);
    expect((db.prepare('SELECT count(*) AS n FROM chunk_blocks WHERE session_id = ?').get(id) as { n: number }).n).toBe(8);
    const block = db
      .prepare('SELECT chunks, current_n AS n, current_min AS mn, current_max AS mx, current_sum AS sm FROM chunk_blocks WHERE block = 2')
      .get() as Record<string, number>;
    const ref = reference(total, 6400);
    expect(block).toMatchObject({ chunks: 64, n: 6400, mn: ref.min[2], mx: ref.max[2] });
    expect(block.sm! / 6400).toBeCloseTo(ref.mean[2]!, 4);
    // Chunk stats of the interior made absurd: a trace that read them would show 999.
    db.prepare(`UPDATE sample_chunks SET current_max = 999 WHERE session_id = ? AND t0_ns >= 0.64e9 AND t0_ns < 4.48e9`).run(id);
    damageAllSamples(db, id);
    const t = queryTrace(db, { sessionId: id, channel: 'current', fromS: 0.1, toS: 5.0, points: 3 });
    expect(t.damaged).toEqual([]);
    expect(Math.max(...t.max)).toBe(Math.max(...ref.max));
    expect(Math.min(...t.min)).toBe(Math.min(...ref.min));
    // 200 buckets of 24.5 ms: a block is too long, its chunks (10 ms) come from its packed stats.
    const fine = queryTrace(db, { sessionId: id, channel: 'current', fromS: 0.1, toS: 5.0, points: 200 });
    expect(Math.max(...fine.max)).toBe(Math.max(...ref.max));
    expect(fine.tS.length).toBeGreaterThan(150);
    // Without blocks (a session stored before schema 5) the chunk stats are read.
    db.prepare('DELETE FROM chunk_blocks').run();
    expect(Math.max(...queryTrace(db, { sessionId: id, channel: 'current', fromS: 0.1, toS: 5.0, points: 3 }).max)).toBe(999);
  });

  it("removes a chunk's pyramid with its session", () => {
    const { db, id } = session(2, 2560);
    expect((db.prepare('SELECT count(*) AS n FROM chunk_pyramid').get() as { n: number }).n).toBe(2);
    db.prepare('DELETE FROM sessions WHERE id = ?').run(id);
    expect((db.prepare('SELECT count(*) AS n FROM chunk_pyramid').get() as { n: number }).n).toBe(0);
    expect((db.prepare('SELECT count(*) AS n FROM chunk_blocks').get() as { n: number }).n).toBe(0);
  });
});
