/**
 * Selection statistics of a stored session: reads the chunks overlapping the range a page at a
 * time through the store's checked reader (a damaged chunk gives no numbers, only a 'damaged' gap)
 * and feeds them to the accumulator. Used by sessions.stats, the CLI's `stats` and the JSON export
 * of a range, so the three always agree.
 */
import type { Channel } from '../meters/types';
import { damagedGap, decodeChunkRow, type ChunkRow } from '../store/chunk-reader';
import type { Db } from '../store/database';
import { SessionsRepo } from '../store/sessions-repo';
import { mergeGaps } from '../store/trace-query';
import { UserError } from '../util/errors';
import { SelectionAccumulator, type SelectionGap, type SelectionStats } from './selection-stats';

export interface StatsRange {
  /** Seconds from session start; default 0. */
  fromS?: number;
  /** Default: the session's end. */
  toS?: number;
}

/** Chunks decoded per page: a few MB at 1 MS/s, so memory stays flat for a range of any length. */
const PAGE_CHUNKS = 16;

/**
 * A range may end this far past the last stored sample (rounding of a dragged range, a recording's
 * end a sample period after its last sample) and is then cut there; further is refused.
 */
const END_SLACK_S = 1e-3;

/** Seconds from session start at which the session ends: its duration, or its last sample if later. */
export function sessionEndS(db: Db, id: number): number {
  const repo = new SessionsRepo(db);
  const row = repo.get(id);
  const last = db.prepare('SELECT max(t0_ns + count * period_ns) AS end_ns FROM sample_chunks WHERE session_id = ?').get(id) as { end_ns: number | null };
  return Math.max(row.duration_s ?? 0, (last.end_ns ?? 0) / 1e9);
}

/** Checks a range against the session and fills in its defaults; one sentence when it cannot be used. */
export function resolveRange(db: Db, id: number, range: StatsRange): { fromS: number; toS: number } {
  const endS = sessionEndS(db, id);
  const fromS = range.fromS ?? 0;
  let toS = range.toS ?? endS;
  const end = endS.toPrecision(6);
  if (!(fromS >= 0)) throw new UserError(`The range cannot start before 0 s (it starts at ${fromS} s); give a start of 0 or more.`, 'bad-range');
  if (fromS >= endS) {
    throw new UserError(`The range starts at ${fromS} s, at or after the end of session ${id} (${end} s); give a start below ${end} s.`, 'bad-range');
  }
  if (toS > endS + END_SLACK_S) {
    throw new UserError(`The range ends at ${toS} s, after the end of session ${id} (${end} s); give an end of at most ${end} s.`, 'bad-range');
  }
  toS = Math.min(toS, endS);
  if (!(toS > fromS)) throw new UserError(`The range ends at ${toS} s, not after its start at ${fromS} s; give an end later than the start.`, 'bad-range');
  return { fromS, toS };
}

export function sessionStats(db: Db, id: number, range: StatsRange = {}): SelectionStats {
  const repo = new SessionsRepo(db);
  const row = repo.get(id);
  const { fromS, toS } = resolveRange(db, id, range);
  const fromNs = fromS * 1e9;
  const toNs = toS * 1e9;
  const acc = new SelectionAccumulator(fromNs, toNs, row.nominal_voltage_v);
  const damaged: SelectionGap[] = [];
  for (const rows of chunkRowsIn(db, id, fromNs, toNs)) {
    for (const r of rows) {
      const c = decodeChunkRow(r);
      if (c.damaged) {
        damaged.push(damagedGap(c));
        continue;
      }
      acc.add({ t0Ns: c.t0Ns, periodNs: c.periodNs, count: c.count, planes: c.planes as Partial<Record<Channel, Float32Array>> });
    }
  }
  const recorded = repo.gaps(id, fromNs, toNs).filter((g) => g.end_ns > fromNs && g.start_ns < toNs);
  // The range exactly as asked: (s × 1e9) / 1e9 is not s for about one value in sixteen, and the
  // app matches an answer to its selection by these numbers.
  return { ...acc.result(mergeGaps(recorded, damaged)), fromS, toS };
}

/** The chunks overlapping [fromNs, toNs) in time order, a page at a time (no cursor left open). */
function* chunkRowsIn(db: Db, id: number, fromNs: number, toNs: number): Generator<ChunkRow[]> {
  // Index seek to the chunk holding fromNs (chunks do not overlap beyond a sample's jitter).
  const start = db.prepare('SELECT t0_ns FROM sample_chunks WHERE session_id = ? AND t0_ns <= ? ORDER BY t0_ns DESC LIMIT 1').get(id, Math.floor(fromNs)) as
    { t0_ns: number } | undefined;
  const page = db.prepare(
    `SELECT id, seq, t0_ns, period_ns, count, channels, data, digital, crc32, device_time FROM sample_chunks
     WHERE session_id = ? AND (t0_ns > ? OR (t0_ns = ? AND id > ?)) AND t0_ns < ?
     ORDER BY t0_ns, id LIMIT ?`,
  );
  let lastT0 = (start?.t0_ns ?? 0) - 1;
  let lastId = -1;
  for (;;) {
    const rows = page.all(id, lastT0, lastT0, lastId, Math.ceil(toNs), PAGE_CHUNKS) as ChunkRow[];
    if (rows.length === 0) return;
    const last = rows[rows.length - 1]!;
    lastT0 = last.t0_ns;
    lastId = last.id;
    yield rows;
  }
}
