/**
 * Reads a stored trace at the resolution the caller can draw. When a bucket spans several chunks
 * the per-chunk stats suffice and no BLOB is decoded (fast on sessions of any length); when zoomed
 * in, only the chunks that overlap the window are decoded.
 * A decoded chunk is first checked against its CRC-32: a damaged one adds no points and is returned
 * in `damaged` as a gap. Chunks drawn from their stats are not decoded, so not checked here: their
 * stats are stored apart from the BLOB, and the session summary checks every chunk.
 */
import type { Channel } from '../meters/types';
import { BucketAccumulator } from '../util/decimate';
import { decodeChunkRow, damagedGap, type ChunkRow } from './chunk-reader';
import type { Db } from './database';
import type { GapRow } from './sessions-repo';
import { rawTrace } from './trace-raw';

export interface TraceRequest {
  sessionId: number;
  channel: Channel;
  fromS: number;
  toS: number;
  points: number;
}

export interface TraceResult {
  bucketS: number;
  tS: number[];
  min: number[];
  max: number[];
  mean: number[];
  /** Decoded chunks whose checksum did not match, as gaps with reason 'damaged'. */
  damaged?: GapDto[];
}

export interface GapDto {
  startS: number;
  endS: number;
  lostSamples: number;
  reason: string;
}

interface ChunkStatRow {
  t0_ns: number;
  period_ns: number;
  count: number;
  mn: number | null;
  mx: number | null;
  me: number | null;
}

export function queryTrace(db: Db, req: TraceRequest): TraceResult {
  // At the deepest zoom, the samples themselves rather than buckets finer than the sample period.
  const raw = rawTrace(db, req);
  if (raw) return raw;
  const span = Math.max(req.toS - req.fromS, 1e-6);
  const bucketS = span / req.points;
  const acc = new BucketAccumulator(bucketS, req.fromS);
  const fromNs = req.fromS * 1e9;
  const toNs = req.toS * 1e9;
  const col = req.channel; // validated by the contract's enum: safe to splice into the column name
  const stats = db.prepare(traceStatsSql(col)).all(req.sessionId, fromNs, toNs) as ChunkStatRow[];
  const decode = db.prepare(
    `SELECT id, seq, t0_ns, period_ns, count, channels, data, digital, crc32, device_time
     FROM sample_chunks WHERE session_id = ? AND t0_ns = ?`,
  );
  const damaged: GapDto[] = [];
  for (const row of stats) {
    if (row.me === null) continue; // this chunk lacks the channel
    const chunkS = (row.count * row.period_ns) / 1e9;
    const t0S = row.t0_ns / 1e9;
    const inside = row.t0_ns >= fromNs && row.t0_ns + row.count * row.period_ns <= toNs;
    const sameBucket = Math.floor((t0S - req.fromS) / bucketS) === Math.floor((t0S + chunkS - req.fromS) / bucketS);
    if (inside && (chunkS <= bucketS / 2 || sameBucket)) {
      acc.addStats(t0S, row.mn!, row.mx!, row.me, row.count);
      continue;
    }
    const full = decodeChunkRow(decode.get(req.sessionId, row.t0_ns) as ChunkRow);
    if (full.damaged) {
      damaged.push(damagedGap(full));
      continue;
    }
    const plane = full.planes[req.channel];
    if (!plane) continue;
    const periodS = full.periodNs / 1e9;
    const first = Math.max(0, Math.ceil((fromNs - full.t0Ns) / full.periodNs));
    const last = Math.min(full.count, Math.ceil((toNs - full.t0Ns) / full.periodNs));
    for (let i = first; i < last; i++) acc.add(t0S + i * periodS, plane[i]!);
  }
  const b = acc.finish();
  return { bucketS, ...b, damaged };
}

/** Per-chunk stats of one channel in a window; read from the covering index sample_chunks_stats. */
export function traceStatsSql(channel: Channel): string {
  return `SELECT t0_ns, period_ns, count, ${channel}_min AS mn, ${channel}_max AS mx, ${channel}_mean AS me
          FROM sample_chunks
          WHERE session_id = ? AND t0_ns + count * period_ns > ? AND t0_ns < ?
          ORDER BY t0_ns`;
}

export function toGapDto(g: GapRow): GapDto {
  return { startS: g.start_ns / 1e9, endS: g.end_ns / 1e9, lostSamples: g.lost_samples, reason: g.reason };
}

/** Recorded gaps and damaged chunks in one list, in time order. */
export function mergeGaps(recorded: GapRow[], damaged: GapDto[]): GapDto[] {
  return [...recorded.map(toGapDto), ...damaged].sort((a, b) => a.startS - b.startS);
}
