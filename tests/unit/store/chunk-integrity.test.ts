import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { AppCore } from '../../../main/core/app-core';
import { chunkCrc, crc32, crc32Table } from '../../../main/store/chunk-crc';
import { readChunks } from '../../../main/store/chunk-reader';
import { openDatabase, type Db } from '../../../main/store/database';
import { sessionSummary } from '../../../main/store/session-summary';
import { SessionsRepo } from '../../../main/store/sessions-repo';
import { queryTrace } from '../../../main/store/trace-query';

const PERIOD_NS = 1e5; // 10 kS/s
const COUNT = 2500; // 250 ms chunks
const CHUNKS = 8;

const closers: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** A power-only session of CHUNKS chunks at 1.0 W (chunk k holds 1 + k/1000 W), with a digital port. */
function recordSession(db: Db): { repo: SessionsRepo; id: number } {
  const repo = new SessionsRepo(db);
  const id = repo.createSession({ name: 's', kind: 'power', startMonoNs: 0, meterId: null, simulated: true, channels: ['power'], sampleRateHz: 1e4 });
  for (let k = 0; k < CHUNKS; k++) {
    const plane = new Float32Array(COUNT).fill(1 + k / 1000);
    const digital = new Uint8Array(COUNT).fill(k % 2);
    repo.insertChunk(id, k, k * COUNT * PERIOD_NS, { periodNs: PERIOD_NS, count: COUNT, channels: ['power'], data: [plane], digital });
  }
  repo.finishSession(id, 'complete', (CHUNKS * COUNT * PERIOD_NS) / 1e9);
  return { repo, id };
}

function tmpDb(): { path: string; db: Db } {
  const path = join(mkdtempSync(join(tmpdir(), 'ddi-crc-')), 'db.sqlite');
  const db = openDatabase(path);
  closers.push(() => {
    db.close();
  });
  return { path, db };
}

/** Overwrites 32 bytes in the middle of chunk `seq`'s BLOB with 0xF0 (each float becomes −5.97e29). */
function scribble(db: Db, sessionId: number, seq: number): void {
  db.prepare(
    // || yields TEXT in SQLite; the CAST keeps the column a BLOB of the same length, as disk damage would.
    `UPDATE sample_chunks SET data = CAST(substr(data, 1, 4000) || X'${'F0'.repeat(32)}' || substr(data, 4033) AS BLOB)
     WHERE session_id = ? AND seq = ?`,
  ).run(sessionId, seq);
  const row = db.prepare('SELECT typeof(data) AS t, length(data) AS n FROM sample_chunks WHERE session_id = ? AND seq = ?').get(sessionId, seq);
  expect(row).toEqual({ t: 'blob', n: COUNT * 4 });
}

describe('chunk checksums', () => {
  it('computes the standard CRC-32 natively and with the table, continuing across buffers', () => {
    const check = Buffer.from('123456789');
    expect(crc32(check)).toBe(0xcbf43926);
    expect(crc32Table(check)).toBe(0xcbf43926);
    const a = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7919) & 0xff));
    const b = Buffer.from([1, 2, 3, 250]);
    expect(crc32Table(b, crc32Table(a))).toBe(crc32(Buffer.concat([a, b])));
    expect(chunkCrc(a, b)).toBe(crc32(Buffer.concat([a, b])));
    expect(chunkCrc(a, null)).toBe(crc32(a));
    if (typeof (zlib as { crc32?: unknown }).crc32 === 'function') expect(crc32(a)).toBe(crc32Table(a));
  });

  it('stores the CRC-32 of data + digital at insert', () => {
    const { db } = tmpDb();
    const { id } = recordSession(db);
    const rows = db.prepare('SELECT data, digital, crc32 FROM sample_chunks WHERE session_id = ?').all(id) as {
      data: Buffer;
      digital: Buffer;
      crc32: number;
    }[];
    expect(rows).toHaveLength(CHUNKS);
    for (const r of rows) expect(r.crc32).toBe(crc32(Buffer.concat([r.data, r.digital])));
  });

  it('turns a chunk with 32 overwritten bytes into a damaged gap, never into numbers, while integrity_check says ok', () => {
    const { db } = tmpDb();
    const { repo, id } = recordSession(db);
    const before = sessionSummary(repo, repo.get(id));
    scribble(db, id, 3);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');

    // Zoomed in around chunk 3 (0.75–1.0 s): the decoded path.
    const t = queryTrace(db, { sessionId: id, channel: 'power', fromS: 0.6, toS: 1.1, points: 500 });
    expect(t.damaged).toEqual([{ startS: 0.75, endS: 1.0, lostSamples: COUNT, reason: 'damaged' }]);
    for (const v of [...t.min, ...t.max, ...t.mean]) expect(Math.abs(v)).toBeLessThan(2);
    expect(t.tS.some((s) => s >= 0.75 && s < 1.0)).toBe(false);
    expect(t.tS.some((s) => s < 0.75) && t.tS.some((s) => s >= 1.0)).toBe(true);

    // The summary checks every chunk: the damaged one leaves samples and energy and becomes a gap.
    const after = sessionSummary(repo, repo.get(id));
    expect(after.damagedChunks).toBe(1);
    expect(after.samples).toBe(before.samples - COUNT);
    expect(after.gaps).toBe(before.gaps + 1);
    expect(after.lostSamples).toBe(before.lostSamples + COUNT);
    expect(after.energyJ!).toBeCloseTo(before.energyJ! - 1.003 * 0.25, 6);
    expect(after.durationS).toBe(before.durationS);
    // The quick summary of the session list does not read BLOBs and says it did not check.
    expect(sessionSummary(repo, repo.get(id), { verify: false }).damagedChunks).toBeNull();

    // The store's reader (for exports): damaged chunks come back as spans, the rest decoded.
    const chunks = readChunks(db, id);
    expect(chunks.map((c) => c.damaged)).toEqual([false, false, false, true, false, false, false, false]);
    const bad = chunks[3]!;
    expect(bad).toMatchObject({ damaged: true, seq: 3, t0Ns: 3 * COUNT * PERIOD_NS, count: COUNT, problem: 'checksum mismatch' });
    const good = chunks[4]!;
    if (good.damaged) throw new Error('chunk 4 should decode');
    expect(good.verified).toBe(true);
    expect(good.planes.power![0]).toBeCloseTo(1.004, 6);
    expect(good.digital![0]).toBe(0);
  });

  it('checks chunks at the deepest zoom too, where the samples themselves are returned', () => {
    const { db } = tmpDb();
    const { id } = recordSession(db);
    scribble(db, id, 3);
    // 0.8–0.801 s: 10 samples inside the damaged chunk.
    const inside = queryTrace(db, { sessionId: id, channel: 'power', fromS: 0.8, toS: 0.801, points: 100 });
    expect(inside.damaged).toEqual([{ startS: 0.75, endS: 1.0, lostSamples: COUNT, reason: 'damaged' }]);
    expect(inside.tS).toEqual([]);
    expect(Number.isFinite(inside.bucketS)).toBe(true);
    // Across the boundary from chunk 2 (good) into chunk 3 (damaged): chunk 2's samples only.
    const across = queryTrace(db, { sessionId: id, channel: 'power', fromS: 0.7495, toS: 0.7505, points: 100 });
    expect(across.damaged).toHaveLength(1);
    expect(across.tS.length).toBeGreaterThan(0);
    expect(across.tS.every((t) => t < 0.75)).toBe(true);
    expect(across.max.every((v) => Math.abs(v - 1.002) < 1e-6)).toBe(true);
  });

  it('counts a damaged digital BLOB as a damaged chunk too', () => {
    const { db } = tmpDb();
    const { repo, id } = recordSession(db);
    db.prepare(`UPDATE sample_chunks SET digital = X'01FF' WHERE session_id = ? AND seq = 5`).run(id);
    expect(sessionSummary(repo, repo.get(id)).damagedChunks).toBe(1);
    expect(readChunks(db, id, { fromNs: 5 * COUNT * PERIOD_NS, limit: 1 })[0]).toMatchObject({ damaged: true, seq: 5 });
  });

  it('pages through a session in time order with fromNs and limit', () => {
    const { db } = tmpDb();
    const { id } = recordSession(db);
    const seen: number[] = [];
    let fromNs = 0;
    for (;;) {
      const page = readChunks(db, id, { fromNs, limit: 3 });
      if (page.length === 0) break;
      seen.push(...page.map((c) => c.seq));
      fromNs = page[page.length - 1]!.endNs;
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(readChunks(db, id, { fromNs: 0.3e9, toNs: 0.6e9 }).map((c) => c.seq)).toEqual([1, 2]);
  });

  it('reads chunks stored before checksums as unverified, and a truncated one as damaged instead of failing', () => {
    const { db } = tmpDb();
    const { repo, id } = recordSession(db);
    db.prepare('UPDATE sample_chunks SET crc32 = NULL WHERE session_id = ?').run(id);
    db.prepare('UPDATE sample_chunks SET data = substr(data, 1, 100) WHERE session_id = ? AND seq = 6').run(id);
    db.prepare("UPDATE sample_chunks SET data = 'not a blob' WHERE session_id = ? AND seq = 7").run(id);
    const s = sessionSummary(repo, repo.get(id));
    expect(s.unverifiedChunks).toBe(CHUNKS);
    expect(s.damagedChunks).toBe(2);
    const chunks = readChunks(db, id);
    expect(chunks[0]).toMatchObject({ damaged: false, verified: false });
    expect(chunks[7]).toMatchObject({ damaged: true, problem: 'the sample data is not a BLOB' });
    expect(chunks[6]).toMatchObject({ damaged: true, problem: `sample BLOB is 100 bytes, expected ${COUNT * 4}` });
    const t = queryTrace(db, { sessionId: id, channel: 'power', fromS: 1.5, toS: 1.75, points: 100 });
    expect(t.damaged).toHaveLength(1);
    expect(t.tS).toHaveLength(0);
  });

  it('shows the damaged gap in the sessions.trace response of the API', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ddi-crc-core-'));
    const path = join(dir, 'db.sqlite');
    const db = openDatabase(path);
    const { id } = recordSession(db);
    scribble(db, id, 2);
    db.close();
    const core = AppCore.open({ dbPath: path, transport: 'browser' });
    closers.push(() => core.close());
    const trace = await core.call('sessions.trace', { id, fromS: 0.4, toS: 0.8, points: 400 });
    expect(trace.gaps).toEqual([{ startS: 0.5, endS: 0.75, lostSamples: COUNT, reason: 'damaged' }]);
    expect(Math.max(...trace.max.map(Math.abs))).toBeLessThan(2);
    const summary = await core.call('sessions.get', { id });
    expect(summary.damagedChunks).toBe(1);
    expect(summary.samples).toBe((CHUNKS - 1) * COUNT);
    // A raw look confirms the bytes really are there: the check, not luck, keeps them out.
    const raw = new Database(path, { readonly: true });
    closers.push(() => {
      raw.close();
    });
    const blob = Buffer.from((raw.prepare('SELECT data FROM sample_chunks WHERE seq = 2').get() as { data: Uint8Array }).data);
    expect(blob.readFloatLE(4000)).toBeLessThan(-1e29);
  });

  it('checks the checksums for sessions.get in a worker, leaving the event loop free, and answers unverified at once when asked', async () => {
    const worker = join(process.cwd(), 'dist/main/verify-worker.cjs');
    if (!existsSync(worker)) throw new Error(`${worker} is missing: run \`npm run build:main\` first (npm test does).`);
    const dir = mkdtempSync(join(tmpdir(), 'ddi-crc-worker-'));
    const path = join(dir, 'db.sqlite');
    const db = openDatabase(path);
    const { id } = recordSession(db);
    scribble(db, id, 5);
    db.close();
    const core = AppCore.open({ dbPath: path, transport: 'browser' });
    closers.push(() => core.close());
    const quick = await core.call('sessions.get', { id, verify: false });
    expect(quick.damagedChunks).toBeNull();
    expect(quick.samples).toBe(CHUNKS * COUNT);
    // In the worker, the check runs while this thread goes on: timers fire before the answer.
    // Checked in place, the whole check would run inside the call and no timer could fire first.
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const pending = core.call('sessions.get', { id });
    const verified = await pending.finally(() => clearInterval(timer));
    expect(ticks).toBeGreaterThan(0);
    expect(verified.damagedChunks).toBe(1);
    expect(verified.samples).toBe((CHUNKS - 1) * COUNT);
    expect(verified.gaps).toBe(1);
  });
});
