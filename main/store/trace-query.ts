/**
 * Reads a stored trace at the resolution the caller can draw, from the coarsest stored level that
 * still gives each drawn bucket at least two of its values: blocks of 64 chunks, the per-chunk
 * stats when a bucket spans two chunks or more, else the chunk's trace pyramid (min/max/mean per 1024 or 64 samples,
 * trace-pyramid.ts), else the samples of the chunks overlapping the window. So a window costs at
 * most about 32 values per drawn bucket however long the session (docs/benchmarks.md, bench:trace).
 * A decoded chunk is first checked against its CRC-32: a damaged one adds no points and is returned
 * in `damaged` as a gap. Chunks drawn from their stats are not decoded, so not checked here: their
 * stats are stored apart from the BLOB, and the session summary checks every chunk.
 */
import type { Channel } from '../meters/types';
import { BucketAccumulator } from '../util/decimate';
import { decodeChunkRow, damagedGap, type ChunkRow } from './chunk-reader';
import type { Db } from './database';
import { windowStartNs } from './window-start';
import type { GapRow, SessionRow } from './sessions-repo';
import { monotonicNs } from '../util/clock';
import { rawTrace } from './trace-raw';
import { blockChunks, L1_SAMPLES, L2_SAMPLES, readBlocks, readPyramid, type PyramidRun } from './trace-pyramid';

/** Chunks' pyramid rows read per query. */
const PYRAMID_PAGE = 256;

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
  /** A block of chunks (chunk_blocks) rather than one chunk. */
  block?: boolean;
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
  const bucketNs = bucketS * 1e9;
  // Blocks of 64 chunks inside the window and at most half a bucket long stand for their chunks;
  // the chunk stats are read only for the stretches between them (long sessions: 40 000 chunks).
  const statsSql = db.prepare(traceStatsSql(col));
  const stats: ChunkStatRow[] = [];
  let cursor = fromNs;
  for (const b of readBlocks(db, req.sessionId, req.channel, fromNs, toNs)) {
    if (b.t0_ns < cursor || b.end_ns > toNs) continue;
    let rows: ChunkStatRow[];
    if (b.end_ns - b.t0_ns <= bucketNs / 2) {
      rows = [{ t0_ns: b.t0_ns, period_ns: 0, count: b.n, mn: b.mn, mx: b.mx, me: b.sm / b.n, block: true }];
    } else {
      // The block's chunks from its packed stats, when every one of them is drawn from its stats.
      const chunks = blockChunks(b, req.channel, bucketNs / 2);
      if (!chunks) continue;
      rows = chunks.map((c) => ({ t0_ns: c.t0Ns, period_ns: 0, count: c.count, mn: c.min, mx: c.max, me: c.mean, block: true }));
    }
    if (b.t0_ns > cursor)
      stats.push(...(statsSql.all(req.sessionId, windowStartNs(db, 'sample_chunks', req.sessionId, cursor), cursor, b.t0_ns) as ChunkStatRow[]));
    for (const r of rows) stats.push(r);
    cursor = b.end_ns;
  }
  if (cursor < toNs) stats.push(...(statsSql.all(req.sessionId, windowStartNs(db, 'sample_chunks', req.sessionId, cursor), cursor, toNs) as ChunkStatRow[]));
  const decode = db.prepare(
    `SELECT id, seq, t0_ns, period_ns, count, channels, data, digital, crc32, device_time
     FROM sample_chunks WHERE session_id = ? AND t0_ns = ?`,
  );
  // Pyramid rows are read only for chunks that need them, a page of chunks from the first such
  // chunk on: consecutive chunks share one query, a lone chunk at the window's edge costs a small one.
  const levels = new Map<1 | 2, { map: Map<number, PyramidRun>; readTo: number }>();
  const level = (l: 1 | 2, t0Ns: number): PyramidRun | undefined => {
    let m = levels.get(l);
    if (!m) levels.set(l, (m = { map: new Map(), readTo: -Infinity }));
    if (t0Ns > m.readTo) {
      const page = readPyramid(db, req.sessionId, req.channel, l, t0Ns, toNs, PYRAMID_PAGE);
      for (const [k, v] of page) m.map.set(k, v);
      m.readTo = page.size < PYRAMID_PAGE ? Infinity : Math.max(t0Ns, ...page.keys());
    }
    return m.map.get(t0Ns);
  };
  const damaged: GapDto[] = [];
  for (const row of stats) {
    if (row.me === null) continue; // this chunk lacks the channel
    if (row.block) {
      acc.addStats(row.t0_ns / 1e9, row.mn!, row.mx!, row.me, row.count);
      continue;
    }
    const chunkS = (row.count * row.period_ns) / 1e9;
    const t0S = row.t0_ns / 1e9;
    const inside = row.t0_ns >= fromNs && row.t0_ns + row.count * row.period_ns <= toNs;
    const sameBucket = Math.floor((t0S - req.fromS) / bucketS) === Math.floor((t0S + chunkS - req.fromS) / bucketS);
    if (inside && (chunkS <= bucketS / 2 || sameBucket)) {
      acc.addStats(t0S, row.mn!, row.mx!, row.me, row.count);
      continue;
    }
    // The coarsest pyramid level with at least two of its buckets per drawn bucket, like the
    // chunk stats above: a level bucket lands whole in the drawn bucket where it starts.
    const run =
      (L2_SAMPLES * row.period_ns <= bucketNs / 2 ? level(2, row.t0_ns) : undefined) ??
      (L1_SAMPLES * row.period_ns <= bucketNs / 2 ? level(1, row.t0_ns) : undefined);
    if (run) {
      addPyramidRun(acc, run, fromNs, toNs);
      continue;
    }
    const full = decodeChunkRow(decode.get(req.sessionId, row.t0_ns) as ChunkRow);
    if (full.damaged) {
      damaged.push(damagedGap(full));
      continue;
    }
    const plane = full.planes[req.channel];
    if (!plane) continue;
    const first = Math.max(0, Math.ceil((fromNs - full.t0Ns) / full.periodNs));
    const last = Math.min(full.count, Math.ceil((toNs - full.t0Ns) / full.periodNs));
    addSamples(acc, full.t0Ns, full.periodNs, plane, first, last);
  }
  const b = acc.finish();
  return { bucketS, ...b, damaged };
}

/** The level buckets of one chunk that overlap the window, each whole (one at the window start is moved onto it). */
function addPyramidRun(acc: BucketAccumulator, run: PyramidRun, fromNs: number, toNs: number): void {
  const unitNs = run.per * run.periodNs;
  const first = Math.max(0, Math.floor((fromNs - run.t0Ns) / unitNs));
  const last = Math.min(run.min.length, Math.ceil((toNs - run.t0Ns) / unitNs));
  for (let j = first; j < last; j++) {
    const n = Math.min(run.per, run.count - j * run.per);
    const startNs = Math.max(run.t0Ns + j * unitNs, fromNs);
    acc.addStats(startNs / 1e9, run.min[j]!, run.max[j]!, run.mean[j]!, n);
  }
}

/**
 * Samples [first, last) of a plane into the buckets, one tight min/max/sum loop per drawn bucket
 * rather than one bucket lookup per sample (a window may hold a few hundred thousand samples).
 */
function addSamples(acc: BucketAccumulator, t0Ns: number, periodNs: number, plane: Float32Array, first: number, last: number): void {
  const periodS = periodNs / 1e9;
  const t0S = t0Ns / 1e9;
  let i = first;
  while (i < last) {
    const tS = t0S + i * periodS;
    // Samples in the same drawn bucket as sample i: up to the next bucket edge.
    const k = Math.floor((tS - acc.originS) / acc.bucketS + 1e-9);
    const edgeS = acc.originS + (k + 1) * acc.bucketS;
    let end = Math.min(last, i + Math.max(1, Math.ceil((edgeS - t0S) / periodS - i - 1e-9)));
    // Guard the float rounding at the edge: never let a sample of the next bucket in.
    while (end > i + 1 && Math.floor((t0S + (end - 1) * periodS - acc.originS) / acc.bucketS + 1e-9) !== k) end--;
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (let j = i; j < end; j++) {
      const v = plane[j]!;
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
    }
    acc.addStats(tS, min, max, sum / (end - i), end - i);
    i = end;
  }
}

/** Per-chunk stats of one channel in a window; read from the covering index sample_chunks_stats. */
export function traceStatsSql(channel: Channel): string {
  return `SELECT t0_ns, period_ns, count, ${channel}_min AS mn, ${channel}_max AS mx, ${channel}_mean AS me
          FROM sample_chunks
          WHERE session_id = ? AND t0_ns >= ? AND t0_ns + count * period_ns > ? AND t0_ns < ?
          ORDER BY t0_ns`;
}

export function toGapDto(g: GapRow): GapDto {
  return { startS: g.start_ns / 1e9, endS: g.end_ns / 1e9, lostSamples: g.lost_samples, reason: g.reason };
}

/** Recorded gaps and damaged chunks in one list, in time order. */
export function mergeGaps(recorded: GapRow[], damaged: GapDto[]): GapDto[] {
  return [...recorded.map(toGapDto), ...damaged].sort((a, b) => a.startS - b.startS);
}

/**
 * What a trace request defaults to (channel, end of the window) from the session row and one index
 * seek: the session summary would aggregate every chunk's stats, tens of ms on a long session.
 * The duration is the summary's: the stored one, the running time of a recording, else the end
 * of the last stored sample.
 */
export function traceExtent(db: Db, row: SessionRow): { channels: Channel[]; durationS: number } {
  const channels = JSON.parse(row.channels) as Channel[];
  if (row.duration_s !== null) return { channels, durationS: row.duration_s };
  if (row.status === 'recording') return { channels, durationS: (monotonicNs() - row.start_mono_ns) / 1e9 };
  const last = db.prepare('SELECT t0_ns + count * period_ns AS end_ns FROM sample_chunks WHERE session_id = ? ORDER BY t0_ns DESC LIMIT 1').get(row.id) as
    { end_ns: number } | undefined;
  return { channels, durationS: last ? last.end_ns / 1e9 : 0 };
}
