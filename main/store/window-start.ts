/**
 * Where a time-window query of one session's rows should start in the (session_id, t0_ns) index:
 * at the last row that starts at or before the window. A session's chunks never overlap in time,
 * so no earlier row reaches into the window. Without this lower bound, "ends after the window
 * start" cannot use the index and SQLite visits every row from the session's first — 40 000 rows
 * (tens of ms) for a window near the end of a long 1 kS/s session.
 */
import type { Db } from './database';

type ChunkTable = 'sample_chunks' | 'chunk_pyramid' | 'chunk_digital';

/** The smallest t0_ns a row overlapping [fromNs, …) can have (a large negative number when none starts before). */
export function windowStartNs(db: Db, table: ChunkTable, sessionId: number, fromNs: number): number {
  const row = db.prepare(`SELECT t0_ns FROM ${table} WHERE session_id = ? AND t0_ns <= ? ORDER BY t0_ns DESC LIMIT 1`).get(sessionId, sqlNs(fromNs)) as
    { t0_ns: number } | undefined;
  return row ? row.t0_ns : -Number.MAX_SAFE_INTEGER;
}

/** A finite bound SQLite can compare (±Infinity is not bindable). */
function sqlNs(ns: number): number {
  return Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, ns));
}
