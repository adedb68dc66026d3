/**
 * A stored trace at the deepest zoom: when the window holds no more samples than the caller asked
 * for points, the samples themselves (their exact times and values) instead of buckets finer than
 * the sample period, most of which would be empty. The last sample before the window and the
 * first one after it are included, so a window that falls between two samples still shows the
 * value held across it.
 */
import type { Channel } from '../meters/types';
import { decodePlane } from './chunk-codec';
import { chunkProblem, damagedGap, type DamagedChunk } from './chunk-reader';
import type { Db } from './database';
import type { TraceRequest, TraceResult } from './trace-query';

interface ChunkRow {
  id: number;
  t0_ns: number;
  period_ns: number;
  count: number;
  channels: string;
}

/** The window's samples, or null when there are more than `req.points` of them (bucket instead). */
export function rawTrace(db: Db, req: TraceRequest): TraceResult | null {
  const fromNs = req.fromS * 1e9;
  const toNs = req.toS * 1e9;
  // Index seeks only: the chunk at or before the window start, then forward in time order. Only
  // columns stored before the sample BLOB are read until the window is known to be small.
  const start = db.prepare(`SELECT t0_ns FROM sample_chunks WHERE session_id = ? AND t0_ns <= ? ORDER BY t0_ns DESC LIMIT 1`).get(req.sessionId, fromNs) as
    { t0_ns: number } | undefined;
  const rows = db
    .prepare(`SELECT id, t0_ns, period_ns, count, channels FROM sample_chunks WHERE session_id = ? AND t0_ns >= ? ORDER BY t0_ns`)
    .iterate(req.sessionId, start?.t0_ns ?? 0) as IterableIterator<ChunkRow>;
  const spans: Array<{ row: ChunkRow; first: number; last: number }> = [];
  let total = 0;
  for (const row of rows) {
    const p = row.period_ns;
    if (row.t0_ns - p >= toNs) break; // past the first sample after the window
    if (row.t0_ns + row.count * p < fromNs) continue; // ends more than a sample before the window
    if (!row.channels.split(',').includes(req.channel)) continue;
    // The sample at or before fromS through the sample at or after toS.
    const first = clamp(Math.floor((fromNs - row.t0_ns) / p), 0, row.count - 1);
    const last = clamp(Math.ceil((toNs - row.t0_ns) / p), 0, row.count - 1);
    total += last - first + 1;
    if (total > req.points) return null; // leaving the loop closes the statement's iterator
    spans.push({ row, first, last });
  }
  if (spans.length === 0) return null;
  const data = db.prepare(`SELECT id, seq, data, digital, crc32 FROM sample_chunks WHERE id = ?`);
  const out: TraceResult = { bucketS: Infinity, tS: [], min: [], max: [], mean: [], damaged: [] };
  for (const { row, first, last } of spans) {
    const full = data.get(row.id) as { seq: number; data: Buffer; digital: Buffer | null; crc32: number | null };
    const problem = chunkProblem({ ...full, count: row.count, channels: row.channels });
    if (problem) {
      // Checked before decoding: a damaged chunk is a gap, never numbers.
      out.bucketS = Math.min(out.bucketS, row.period_ns / 1e9);
      const endNs = row.t0_ns + row.count * row.period_ns;
      const damaged: DamagedChunk = { id: row.id, seq: full.seq, t0Ns: row.t0_ns, periodNs: row.period_ns, count: row.count, endNs, damaged: true, problem };
      out.damaged!.push(damagedGap(damaged));
      continue;
    }
    const blob = full.data;
    const plane = decodePlane(blob, row.count, row.channels.split(',') as Channel[], req.channel);
    if (!plane) continue;
    out.bucketS = Math.min(out.bucketS, row.period_ns / 1e9);
    for (let i = first; i <= last; i++) {
      const v = plane[i]!;
      out.tS.push((row.t0_ns + i * row.period_ns) / 1e9);
      out.min.push(v);
      out.max.push(v);
      out.mean.push(v);
    }
  }
  return out.tS.length > 0 || out.damaged!.length > 0 ? out : null;
}

const clamp = (x: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, x));
