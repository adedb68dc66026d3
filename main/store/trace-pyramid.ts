/**
 * The trace pyramid (schema 4): for every stored chunk, min/max/mean of each run of 64 samples
 * (level 1) and of 1024 samples (level 2), computed once when the chunk is stored. A trace whose
 * buckets are much wider than a sample but narrower than a chunk reads these instead of decoding
 * samples, so no window of a session costs more than about 2 × 16 values per bucket drawn.
 * Above the chunks, blocks of 64 chunks (chunk_blocks) keep long sessions' whole views cheap.
 * Like the chunk's own stats, the pyramid is derived data kept apart from the sample BLOB; it is
 * not checked against the chunk's CRC (a damaged chunk is found when it is decoded or summarised).
 */
import type { Channel } from '../meters/types';
import type { Db } from './database';
import { windowStartNs } from './window-start';

export const L1_SAMPLES = 64;
export const L2_SAMPLES = 1024;

/** min[n], max[n], mean[n] per channel as float32, n = ceil(count / per), channels in chunk order. */
export function pyramidLevel(planes: readonly Float32Array[], count: number, per: number): Buffer {
  const n = Math.ceil(count / per);
  const out = new Float32Array(planes.length * 3 * n);
  planes.forEach((plane, c) => {
    const base = c * 3 * n;
    for (let j = 0; j < n; j++) {
      const from = j * per;
      const to = Math.min(count, from + per);
      let min = Infinity;
      let max = -Infinity;
      let sum = 0;
      for (let i = from; i < to; i++) {
        const v = plane[i]!;
        if (v < min) min = v;
        if (v > max) max = v;
        sum += v;
      }
      out[base + j] = min;
      out[base + n + j] = max;
      out[base + 2 * n + j] = sum / (to - from);
    }
  });
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

export interface PyramidChunk {
  chunkId: number;
  sessionId: number;
  /** The chunk's sequence number in its session: chunks seq / BLOCK_CHUNKS share a block. */
  seq: number;
  t0Ns: number;
  periodNs: number;
  count: number;
  channels: readonly Channel[];
  planes: readonly Float32Array[];
}

/** Chunks per block (migration 005): 16 s of 250 ms chunks. */
export const BLOCK_CHUNKS = 64;
/** One chunk in chunk_blocks.chunk_stats (migration 006). */
const BLOCK_ENTRY_BYTES = 56;

const CHANNELS: Channel[] = ['current', 'voltage', 'power'];

/** Adds a chunk to its block; SQLite's two-argument min()/max() are NULL when either is. */
const UPSERT_BLOCK = `
  INSERT INTO chunk_blocks (session_id, block, t0_ns, end_ns, chunks,
    current_n, current_min, current_max, current_sum, voltage_n, voltage_min, voltage_max, voltage_sum,
    power_n, power_min, power_max, power_sum)
  VALUES (@session_id, @block, @t0_ns, @end_ns, 1,
    @current_n, @current_min, @current_max, @current_sum, @voltage_n, @voltage_min, @voltage_max, @voltage_sum,
    @power_n, @power_min, @power_max, @power_sum)
  ON CONFLICT (session_id, block) DO UPDATE SET
    t0_ns = min(t0_ns, excluded.t0_ns), end_ns = max(end_ns, excluded.end_ns), chunks = chunks + 1,
    ${CHANNELS.map(
      (ch) => `${ch}_n = ${ch}_n + excluded.${ch}_n,
    ${ch}_min = min(coalesce(${ch}_min, excluded.${ch}_min), coalesce(excluded.${ch}_min, ${ch}_min)),
    ${ch}_max = max(coalesce(${ch}_max, excluded.${ch}_max), coalesce(excluded.${ch}_max, ${ch}_max)),
    ${ch}_sum = coalesce(${ch}_sum, 0) + coalesce(excluded.${ch}_sum, 0)`,
    ).join(',\n    ')}`;

/** Stores a chunk's pyramid and adds it to its block; called in the same transaction as the chunk's insert. */
export function insertPyramid(db: Db, c: PyramidChunk): void {
  const l2 = pyramidLevel(c.planes, c.count, L2_SAMPLES);
  const block: Record<string, number | null> = {
    session_id: c.sessionId,
    block: Math.floor(c.seq / BLOCK_CHUNKS),
    t0_ns: Math.round(c.t0Ns),
    end_ns: Math.round(c.t0Ns + c.count * c.periodNs),
  };
  for (const ch of CHANNELS) Object.assign(block, { [`${ch}_n`]: 0, [`${ch}_min`]: null, [`${ch}_max`]: null, [`${ch}_sum`]: null });
  // The chunk's min/max/sum from its level-2 values (a few dozen), not from its samples again.
  const n = Math.ceil(c.count / L2_SAMPLES);
  const f = new Float32Array(l2.buffer, l2.byteOffset, l2.byteLength / 4);
  c.channels.forEach((ch, k) => {
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (let j = 0; j < n; j++) {
      min = Math.min(min, f[k * 3 * n + j]!);
      max = Math.max(max, f[k * 3 * n + n + j]!);
      sum += f[k * 3 * n + 2 * n + j]! * Math.min(L2_SAMPLES, c.count - j * L2_SAMPLES);
    }
    Object.assign(block, { [`${ch}_n`]: c.count, [`${ch}_min`]: min, [`${ch}_max`]: max, [`${ch}_sum`]: sum });
  });
  db.prepare(UPSERT_BLOCK).run(block);
  // Append this chunk's entry to the block's packed chunk stats (read, extend, write: ≤ 3.3 kB).
  const entry = Buffer.alloc(BLOCK_ENTRY_BYTES);
  entry.writeDoubleLE(block.t0_ns!, 0);
  entry.writeDoubleLE(block.end_ns!, 8);
  entry.writeUInt32LE(c.count, 16);
  CHANNELS.forEach((ch, k) => {
    const has = (block[`${ch}_n`] as number) > 0;
    entry.writeFloatLE(has ? (block[`${ch}_min`] as number) : NaN, 20 + k * 12);
    entry.writeFloatLE(has ? (block[`${ch}_max`] as number) : NaN, 24 + k * 12);
    entry.writeFloatLE(has ? (block[`${ch}_sum`] as number) / c.count : NaN, 28 + k * 12);
  });
  const key = { session_id: c.sessionId, block: block.block };
  const prev = db.prepare('SELECT chunk_stats AS s FROM chunk_blocks WHERE session_id = @session_id AND block = @block').get(key) as { s: Buffer | null };
  db.prepare('UPDATE chunk_blocks SET chunk_stats = @s WHERE session_id = @session_id AND block = @block').run({
    ...key,
    s: prev.s ? Buffer.concat([prev.s, entry]) : entry,
  });
  db.prepare(
    `INSERT INTO chunk_pyramid (chunk_id, session_id, t0_ns, period_ns, count, channels, l2_samples, l2, l1_samples, l1)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    c.chunkId,
    c.sessionId,
    Math.round(c.t0Ns),
    c.periodNs,
    c.count,
    c.channels.join(','),
    L2_SAMPLES,
    l2,
    L1_SAMPLES,
    pyramidLevel(c.planes, c.count, L1_SAMPLES),
  );
}

/** One level of one chunk, for one channel. */
export interface PyramidRun {
  t0Ns: number;
  periodNs: number;
  count: number;
  /** Samples per bucket of this level. */
  per: number;
  min: Float32Array;
  max: Float32Array;
  mean: Float32Array;
}

/**
 * The chosen level of the chunks overlapping [fromNs, toNs) that have a pyramid (at most `limit`
 * of them, in time order), keyed by t0_ns. A row whose BLOB has the wrong size (damaged) is left
 * out, so its chunk is decoded instead.
 */
export function readPyramid(db: Db, sessionId: number, channel: Channel, level: 1 | 2, fromNs: number, toNs: number, limit = -1): Map<number, PyramidRun> {
  const blob = level === 1 ? 'l1' : 'l2';
  const per = level === 1 ? 'l1_samples' : 'l2_samples';
  const rows = db
    .prepare(
      `SELECT t0_ns, period_ns, count, channels, ${per} AS per, ${blob} AS data FROM chunk_pyramid
       WHERE session_id = ? AND t0_ns >= ? AND t0_ns + count * period_ns > ? AND t0_ns < ? ORDER BY t0_ns LIMIT ?`,
    )
    .all(sessionId, windowStartNs(db, 'chunk_pyramid', sessionId, fromNs), fromNs, toNs, limit) as {
    t0_ns: number;
    period_ns: number;
    count: number;
    channels: string;
    per: number;
    data: Buffer;
  }[];
  const out = new Map<number, PyramidRun>();
  for (const r of rows) {
    const channels = r.channels.split(',');
    const c = channels.indexOf(channel);
    const n = Math.ceil(r.count / r.per);
    if (c < 0 || !(r.data instanceof Uint8Array) || r.data.length !== channels.length * 3 * n * 4) continue;
    const off = r.data.byteOffset + c * 3 * n * 4;
    // A view when the BLOB's bytes are 4-byte aligned in their buffer, else a copy.
    const f = off % 4 === 0 ? new Float32Array(r.data.buffer, off, 3 * n) : new Float32Array(r.data.buffer.slice(off, off + 3 * n * 4));
    out.set(r.t0_ns, {
      t0Ns: r.t0_ns,
      periodNs: r.period_ns,
      count: r.count,
      per: r.per,
      min: f.subarray(0, n),
      max: f.subarray(n, 2 * n),
      mean: f.subarray(2 * n, 3 * n),
    });
  }
  return out;
}

/** A block of chunks with samples of one channel, in the window. */
export interface BlockRow {
  t0_ns: number;
  end_ns: number;
  n: number;
  mn: number;
  mx: number;
  sm: number;
  /** Packed per-chunk stats (schema 6), or null for blocks written before it. */
  chunk_stats: Buffer | null;
}

/** One chunk's stats from a block's packed entries. */
export interface PackedChunk {
  t0Ns: number;
  endNs: number;
  count: number;
  min: number;
  max: number;
  mean: number;
}

/**
 * The block's chunks for one channel (those that have it), or null when the block has no packed
 * stats, they are damaged (wrong size), or one of its chunks is longer than `maxSpanNs`: the caller
 * then reads the chunk stats instead.
 */
export function blockChunks(b: BlockRow, channel: Channel, maxSpanNs = Infinity): PackedChunk[] | null {
  const s = b.chunk_stats;
  if (!(s instanceof Uint8Array) || s.length === 0 || s.length % BLOCK_ENTRY_BYTES !== 0) return null;
  const v = new DataView(s.buffer, s.byteOffset, s.byteLength);
  const k = CHANNELS.indexOf(channel) * 12;
  const out: PackedChunk[] = [];
  for (let o = 0; o < s.length; o += BLOCK_ENTRY_BYTES) {
    const t0Ns = v.getFloat64(o, true);
    const endNs = v.getFloat64(o + 8, true);
    if (endNs - t0Ns > maxSpanNs) return null;
    const mean = v.getFloat32(o + 28 + k, true);
    if (Number.isNaN(mean)) continue;
    out.push({ t0Ns, endNs, count: v.getUint32(o + 16, true), min: v.getFloat32(o + 20 + k, true), max: v.getFloat32(o + 24 + k, true), mean });
  }
  return out;
}

/**
 * Blocks overlapping [fromNs, toNs) that hold the channel, in time order. Only the blocks of the
 * chunks in the window are read (found by their seq through two index seeks), and none when the
 * window holds fewer chunks than a block.
 */
export function readBlocks(db: Db, sessionId: number, channel: Channel, fromNs: number, toNs: number): BlockRow[] {
  const first = db.prepare('SELECT seq FROM sample_chunks WHERE session_id = ? AND t0_ns >= ? ORDER BY t0_ns LIMIT 1').get(sessionId, fromNs) as
    { seq: number } | undefined;
  const last = db.prepare('SELECT seq FROM sample_chunks WHERE session_id = ? AND t0_ns < ? ORDER BY t0_ns DESC LIMIT 1').get(sessionId, toNs) as
    { seq: number } | undefined;
  if (!first || !last || last.seq - first.seq + 1 < BLOCK_CHUNKS) return [];
  // channel comes from the contract's enum: safe to splice into the column names.
  return db
    .prepare(
      `SELECT t0_ns, end_ns, ${channel}_n AS n, ${channel}_min AS mn, ${channel}_max AS mx, ${channel}_sum AS sm, chunk_stats FROM chunk_blocks
       WHERE session_id = ? AND block BETWEEN ? AND ? AND end_ns > ? AND t0_ns < ? AND ${channel}_n > 0 ORDER BY t0_ns`,
    )
    .all(sessionId, Math.floor(first.seq / BLOCK_CHUNKS), Math.floor(last.seq / BLOCK_CHUNKS), fromNs, toNs) as BlockRow[];
}
