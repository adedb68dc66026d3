/**
 * The digital inputs (e.g. the PPK2's D0–D7) of a stored session at the resolution the caller can
 * draw: per bucket, which lines were high throughout, low throughout, or toggled. Read from the
 * run-length copies in chunk_digital (schema 7), walking runs rather than samples, so a whole
 * 10 M-sample session costs its number of level changes, not its samples.
 */
import type { Db } from './database';
import { windowStartNs } from './window-start';

/** Per bucket: bit k of `high` set when D k was 1 throughout, of `low` when 0 throughout; both 0 = toggled or no data (see `covered`). */
export interface LogicResult {
  bucketS: number;
  tS: number[];
  high: number[];
  low: number[];
  /** Whether any sample fell in the bucket (false: no data, e.g. a gap). */
  covered: boolean[];
  /** Whether the session has digital inputs at all. */
  present: boolean;
}

export interface LogicRequest {
  sessionId: number;
  fromS: number;
  toS: number;
  points: number;
}

/** Rows read per query: a page at a time keeps no statement open long. */
const PAGE = 512;

export function queryLogic(db: Db, req: LogicRequest): LogicResult {
  const span = Math.max(req.toS - req.fromS, 1e-6);
  const n = req.points;
  const bucketNs = (span / n) * 1e9;
  const fromNs = req.fromS * 1e9;
  const toNs = req.toS * 1e9;
  // Per bucket: the OR of every value seen, and the OR of every value's complement.
  const seenHigh = new Uint8Array(n);
  const seenLow = new Uint8Array(n);
  const covered = new Uint8Array(n);
  const present = db.prepare('SELECT 1 FROM chunk_digital WHERE session_id = ? LIMIT 1').get(req.sessionId) !== undefined;
  const page = db.prepare(
    `SELECT t0_ns, period_ns, count, digital FROM chunk_digital
     WHERE session_id = ? AND t0_ns >= ? AND t0_ns + count * period_ns > ? AND t0_ns < ? ORDER BY t0_ns LIMIT ${PAGE}`,
  );
  let cursor = fromNs;
  for (;;) {
    const rows = page.all(req.sessionId, windowStartNs(db, 'chunk_digital', req.sessionId, cursor), cursor, toNs) as {
      t0_ns: number;
      period_ns: number;
      count: number;
      digital: Uint8Array;
    }[];
    for (const r of rows)
      forEachRun(r.digital, r.count, (value, first, length) => {
        // The run covers samples [first, first + length): times [t0 + first·P, t0 + (first + length)·P).
        const a = r.t0_ns + first * r.period_ns;
        const b = r.t0_ns + (first + length) * r.period_ns;
        if (b <= fromNs || a >= toNs) return;
        const i0 = Math.max(0, Math.floor((a - fromNs) / bucketNs));
        // A bucket counts the run only if a sample starts in it.
        const i1 = Math.min(n - 1, Math.floor((b - r.period_ns - fromNs) / bucketNs));
        for (let i = i0; i <= i1; i++) {
          seenHigh[i]! |= value;
          seenLow[i]! |= ~value & 0xff;
          covered[i] = 1;
        }
      });
    if (rows.length < PAGE) break;
    const last = rows[rows.length - 1]!;
    cursor = last.t0_ns + last.count * last.period_ns;
  }
  const tS: number[] = [];
  const high: number[] = [];
  const low: number[] = [];
  for (let i = 0; i < n; i++) {
    tS.push(req.fromS + (i * bucketNs) / 1e9);
    high.push(covered[i] ? ~seenLow[i]! & 0xff : 0);
    low.push(covered[i] ? ~seenHigh[i]! & 0xff : 0);
  }
  return { bucketS: bucketNs / 1e9, tS, high, low, covered: Array.from(covered, (c) => c === 1), present };
}

/**
 * Calls `fn(value, firstSample, length)` for each run of a run-length digital BLOB (digital-codec.ts:
 * a version byte 1, then [value u8][length LEB128]). Stops quietly at a malformed BLOB or past `count`:
 * the lanes are display data and what is missing is drawn as no data.
 */
export function forEachRun(blob: Uint8Array, count: number, fn: (value: number, first: number, length: number) => void): void {
  if (!(blob instanceof Uint8Array) || blob[0] !== 1) return;
  let pos = 1;
  let at = 0;
  while (pos < blob.length && at < count) {
    const value = blob[pos++]!;
    let run = 0;
    let scale = 1;
    for (;;) {
      if (pos >= blob.length) return;
      const byte = blob[pos++]!;
      run += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) break;
      scale *= 128;
    }
    const length = Math.min(run, count - at);
    if (length > 0) fn(value, at, length);
    at += run;
  }
}
