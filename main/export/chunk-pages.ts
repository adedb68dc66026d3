/**
 * Reads a session's sample chunks for an export in small pages, in time order. Each page is one
 * complete statement (`.all()`), so no cursor stays open while the export waits for its reader:
 * a statement left open across an `await` makes better-sqlite3 refuse every other statement on the
 * same connection ("This database connection is busy executing a query").
 */
import type { Channel } from '../meters/types';
import { decodeChunkRow, type ChunkRow } from '../store/chunk-reader';
import type { Db } from '../store/database';

export interface ExportChunk {
  t0Ns: number;
  periodNs: number;
  count: number;
  /** One plane per requested channel, in the requested order; undefined where the chunk lacks it. */
  planes: (Float32Array | undefined)[];
  /** Digital-input byte per sample (bit n = input Dn), or null when the chunk has none. */
  digital: Uint8Array | null;
}

/** Chunks per page: at 1 MS/s with three channels one chunk is 3 MB, so a page stays a few MB. */
const PAGE_CHUNKS = 4;

/**
 * The session's chunks in time order, a page at a time; with a range, only from the chunk holding
 * its start to the last one starting before its end (the caller cuts the samples at the edges).
 */
export function* chunkPages(db: Db, sessionId: number, order: Channel[], range?: { fromNs: number; toNs: number }): Generator<ExportChunk[]> {
  const page = db.prepare(
    `SELECT id, seq, t0_ns, period_ns, count, channels, data, digital, crc32, device_time FROM sample_chunks
     WHERE session_id = ? AND (t0_ns > ? OR (t0_ns = ? AND id > ?)) AND t0_ns < ?
     ORDER BY t0_ns, id LIMIT ?`,
  );
  const start = range
    ? (db
        .prepare('SELECT t0_ns FROM sample_chunks WHERE session_id = ? AND t0_ns <= ? ORDER BY t0_ns DESC LIMIT 1')
        .get(sessionId, Math.floor(range.fromNs)) as { t0_ns: number } | undefined)
    : undefined;
  let lastT0 = start ? start.t0_ns - 1 : Number.MIN_SAFE_INTEGER;
  let lastId = -1;
  const endBound = range ? Math.ceil(range.toNs) : Number.MAX_SAFE_INTEGER;
  for (;;) {
    const rows = page.all(sessionId, lastT0, lastT0, lastId, endBound, PAGE_CHUNKS) as ChunkRow[];
    if (rows.length === 0) return;
    const last = rows[rows.length - 1]!;
    lastT0 = last.t0_ns;
    lastId = last.id;
    yield rows.map((r) => decodeChunk(r, order)).filter((c): c is ExportChunk => c !== null);
  }
}

/**
 * The one place an export turns a stored chunk into numbers, through the store's checked reader: a
 * chunk whose checksum does not match gives no samples (null); the export lists it as a 'damaged' gap.
 */
export function decodeChunk(row: ChunkRow, order: Channel[]): ExportChunk | null {
  const chunk = decodeChunkRow(row);
  if (chunk.damaged) return null;
  return { t0Ns: chunk.t0Ns, periodNs: chunk.periodNs, count: chunk.count, planes: order.map((c) => chunk.planes[c]), digital: chunk.digital };
}
