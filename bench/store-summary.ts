// Session summary and zoomed-out trace on a 10 M-sample session, schema 2 vs schema 3
// (`node scripts/run-ts.mjs bench/store-summary.ts [--runs 15]`).
//
// The session is what a PPK2 at 100 kS/s stores in 100 s: 400 chunks of 25 000 current samples
// (100 kB float32 BLOB each, 40 MB in all) plus run-length encoded D0–D7. Schema 2 keeps the
// per-chunk stats after the BLOB, so aggregating them walks every row's overflow pages; schema 3
// adds the covering index sample_chunks_stats. Every timed run uses a fresh read-only connection
// (SQLite's page cache empty; the OS file cache warm, as on a second look at a session). Prints a
// Markdown table; nothing is written outside a temporary folder.
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase, APPLICATION_ID } from '../main/store/database';
import { MIGRATIONS } from '../main/store/migrations';
import { sessionSummary } from '../main/store/session-summary';
import { SessionsRepo, SUMMARY_STATS_SQL } from '../main/store/sessions-repo';
import { queryTrace, traceStatsSql } from '../main/store/trace-query';
import { encodeDigital } from '../main/store/digital-codec';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 15;
const CHUNKS = 400;
const COUNT = 25_000;
const PERIOD_NS = 10_000;

/** The schema-2 summary query (main/store/sessions-repo.ts before migration 003). */
const V2_SUMMARY_SQL = `SELECT coalesce(sum(count), 0) AS samples,
  max(t0_ns + count * period_ns) AS end_ns,
  sum(CASE WHEN power_mean IS NOT NULL THEN power_mean * count END) AS p_sum,
  sum(CASE WHEN power_mean IS NOT NULL THEN count END) AS p_n,
  sum(CASE WHEN power_mean IS NOT NULL THEN power_mean * count * period_ns END) AS e_ns,
  sum(CASE WHEN power_mean IS NULL THEN current_mean * count END) AS i_sum,
  sum(CASE WHEN power_mean IS NULL THEN current_mean * count * period_ns END) AS q_ns,
  sum(CASE WHEN power_mean IS NULL AND current_mean IS NOT NULL THEN count END) AS i_n
  FROM sample_chunks WHERE session_id = ?`;

function buildV2(path: string): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  for (const m of MIGRATIONS.slice(0, 2)) db.exec(m.sql);
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)');
  for (const m of MIGRATIONS.slice(0, 2)) db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?, ?)').run(m.version, m.name, m.checksum, 'bench');
  db.pragma(`application_id = ${APPLICATION_ID}`);
  db.prepare(
    `INSERT INTO sessions (id, name, kind, status, started_at, ended_at, start_mono_ns, duration_s, simulated, channels, sample_rate_hz, nominal_voltage_v)
     VALUES (1, 'bench', 'power', 'complete', 'then', 'later', 0, ?, 0, '["current"]', 1e5, 3.3)`,
  ).run((CHUNKS * COUNT * PERIOD_NS) / 1e9);
  const insert = db.prepare(
    `INSERT INTO sample_chunks (session_id, seq, t0_ns, period_ns, count, channels, data, digital, current_min, current_max, current_mean)
     VALUES (1, ?, ?, ?, ?, 'current', ?, ?, ?, ?, ?)`,
  );
  const plane = new Float32Array(COUNT);
  const digital = new Uint8Array(COUNT);
  db.transaction(() => {
    for (let k = 0; k < CHUNKS; k++) {
      let min = Infinity;
      let max = -Infinity;
      let sum = 0;
      for (let i = 0; i < COUNT; i++) {
        const v = 1e-3 * (1 + Math.sin((k * COUNT + i) / 997));
        plane[i] = v;
        min = Math.min(min, plane[i]!);
        max = Math.max(max, plane[i]!);
        sum += plane[i]!;
        digital[i] = (k * COUNT + i) % 2000 < 1000 ? 1 : 0;
      }
      insert.run(k, k * COUNT * PERIOD_NS, PERIOD_NS, COUNT, Buffer.from(plane.buffer.slice(0)), encodeDigital(digital), min, max, sum / COUNT);
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(path: string, fn: (db: Database.Database) => unknown): { ms: number; result: unknown } {
  const ms: number[] = [];
  let result: unknown;
  for (let r = 0; r < RUNS; r++) {
    const db = new Database(path, { readonly: true });
    const t = performance.now();
    result = fn(db);
    ms.push(performance.now() - t);
    db.close();
  }
  return { ms: median(ms), result };
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'ddi-bench-summary-'));
  try {
    const v2 = join(dir, 'v2.sqlite');
    const t0 = performance.now();
    buildV2(v2);
    const buildS = (performance.now() - t0) / 1000;
    const v3 = join(dir, 'v3.sqlite');
    copyFileSync(v2, v3);
    const m0 = performance.now();
    openDatabase(v3).close();
    const migrateMs = performance.now() - m0;

    const v2Summary = time(v2, (db) => db.prepare(V2_SUMMARY_SQL).get(1));
    const v3Summary = time(v3, (db) => new SessionsRepo(db).stats(1));
    const v3Plain = time(v3, (db) => db.prepare(SUMMARY_STATS_SQL).get({ id: 1, excluded: '[]' }));
    const v3Verified = time(v3, (db) => {
      const repo = new SessionsRepo(db);
      return sessionSummary(repo, repo.get(1));
    });
    const traceSql = traceStatsSql('current');
    const v2Trace = time(v2, (db) => db.prepare(traceSql).all(1, -1, 0, 100e9).length);
    const v3TraceStats = time(v3, (db) => db.prepare(traceSql).all(1, -1, 0, 100e9).length);
    const v3Trace200 = time(v3, (db) => queryTrace(db, { sessionId: 1, channel: 'current', fromS: 0, toS: 100, points: 200 }).tS.length);
    const v3Trace2000 = time(v3, (db) => queryTrace(db, { sessionId: 1, channel: 'current', fromS: 0, toS: 100, points: 2000 }).tS.length);

    const rows: [string, string, number][] = [
      ['Summary aggregates (samples, mean power, energy)', 'schema 2: stats after the BLOB, no covering index', v2Summary.ms],
      ['Summary aggregates (samples, mean power, energy)', 'schema 3: covering index sample_chunks_stats', v3Plain.ms],
      ['SessionsRepo.stats() (aggregates + extent + unverified count)', 'schema 3', v3Summary.ms],
      ["sessionSummary() checking every chunk's CRC-32 (sessions.get)", 'schema 3', v3Verified.ms],
      ['Whole-session trace: per-chunk stats query', 'schema 2 (rows)', v2Trace.ms],
      ['Whole-session trace: per-chunk stats query', 'schema 3 (covering index)', v3TraceStats.ms],
      ['queryTrace, whole session, 200 points (0.5 s buckets: stats only)', 'schema 3', v3Trace200.ms],
      ['queryTrace, whole session, 2000 points (50 ms buckets: all 400 chunks decoded and CRC-checked)', 'schema 3', v3Trace2000.ms],
    ];
    console.log(`Machine: ${cpus().length}× ${cpus()[0]?.model.trim()}, Node ${process.version}. Date: ${new Date().toISOString().slice(0, 10)}.`);
    console.log(
      `Session: ${CHUNKS} chunks × ${COUNT} samples (${(CHUNKS * COUNT) / 1e6} M samples, current + D0–D7), file ${(statSync(v2).size / 1e6).toFixed(1)} MB at schema 2, ${(statSync(v3).size / 1e6).toFixed(1)} MB at schema 3; built in ${buildS.toFixed(1)} s; migration 2 → 3 took ${migrateMs.toFixed(0)} ms. Median of ${RUNS} runs, each on a fresh read-only connection (OS file cache warm).`,
    );
    console.log('\n| Query | Schema | Median ms |\n|---|---|---|');
    for (const [q, s, ms] of rows) console.log(`| ${q} | ${s} | ${ms.toFixed(2)} |`);
    console.log(
      `\nCheck: v2 samples ${(v2Summary.result as { samples: number }).samples}, v3 samples ${(v3Summary.result as { samples: number }).samples}, verified summary damagedChunks ${(v3Verified.result as { damagedChunks: number }).damagedChunks}, trace points ${String(v3Trace200.result)} / ${String(v3Trace2000.result)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
