/**
 * Reads stored sample chunks and checks each against its CRC-32 before decoding it: a chunk whose
 * checksum (or BLOB size) does not match is never turned into numbers; the caller gets its time span
 * instead and reports it as a gap with reason 'damaged'. Chunks stored before checksums existed
 * (crc32 NULL) are decoded as they are and marked unverified.
 */
import type { Channel } from '../meters/types';
import { chunkCrc } from './chunk-crc';
import { decodePlane } from './chunk-codec';
import type { Db } from './database';
import { windowStartNs } from './window-start';
import { decodeDigital } from './digital-codec';

export const DAMAGED_REASON = 'damaged';

interface ChunkSpan {
  /** sample_chunks.id, e.g. for SessionsRepo.stats(id, exclude). */
  id: number;
  seq: number;
  t0Ns: number;
  periodNs: number;
  count: number;
  /** t0Ns + count × periodNs: just after the last sample. */
  endNs: number;
}

export interface DecodedChunk extends ChunkSpan {
  damaged: false;
  channels: Channel[];
  /** One plane per channel stored in this chunk. */
  planes: Partial<Record<Channel, Float32Array>>;
  digital: Uint8Array | null;
  deviceTime: number | null;
  /** false for chunks stored before checksums existed. */
  verified: boolean;
}

export interface DamagedChunk extends ChunkSpan {
  damaged: true;
  /** What failed, for logs: 'checksum mismatch', a size mismatch, an unreadable digital BLOB. */
  problem: string;
}

export type StoredChunk = DecodedChunk | DamagedChunk;

export interface ChunkRange {
  /** Chunks that end after this time (ns from session start). */
  fromNs?: number;
  /** Chunks that start before this time. */
  toNs?: number;
  /** At most this many chunks, in time order; page on with fromNs = the last chunk's endNs. */
  limit?: number;
}

export interface ChunkRow {
  id: number;
  seq: number;
  t0_ns: number;
  period_ns: number;
  count: number;
  channels: string;
  data: Buffer;
  digital: Buffer | null;
  crc32: number | null;
  device_time: number | null;
}

const COLUMNS = 'id, seq, t0_ns, period_ns, count, channels, data, digital, crc32, device_time';

/** The session's chunks overlapping [fromNs, toNs), each decoded or reported damaged. */
export function readChunks(db: Db, sessionId: number, range: ChunkRange = {}): StoredChunk[] {
  const rows = db
    .prepare(
      `SELECT ${COLUMNS} FROM sample_chunks
       WHERE session_id = ? AND t0_ns >= ? AND t0_ns + count * period_ns > ? AND t0_ns < ?
       ORDER BY t0_ns LIMIT ?`,
    )
    .all(
      sessionId,
      windowStartNs(db, 'sample_chunks', sessionId, finite(range.fromNs ?? -Infinity)),
      finite(range.fromNs ?? -Infinity),
      finite(range.toNs ?? Infinity),
      range.limit ?? -1,
    ) as ChunkRow[];
  return rows.map(decodeChunkRow);
}

/** Checks every chunk of a session (reads all its BLOBs) and returns the damaged ones. */
export function findDamagedChunks(db: Db, sessionId: number): DamagedChunk[] {
  const damaged: DamagedChunk[] = [];
  const rows = db.prepare(`SELECT ${COLUMNS} FROM sample_chunks WHERE session_id = ? ORDER BY t0_ns`).iterate(sessionId) as IterableIterator<ChunkRow>;
  // Synchronous to the end: the cursor is never left open across an await.
  for (const row of rows) {
    const problem = chunkProblem(row);
    if (problem) damaged.push({ ...span(row), damaged: true, problem });
  }
  return damaged;
}

export function decodeChunkRow(row: ChunkRow): StoredChunk {
  const problem = chunkProblem(row);
  if (problem) return { ...span(row), damaged: true, problem };
  const channels = row.channels.split(',') as Channel[];
  const planes: Partial<Record<Channel, Float32Array>> = {};
  for (const ch of channels) planes[ch] = decodePlane(row.data, row.count, channels, ch);
  return {
    ...span(row),
    damaged: false,
    channels,
    planes,
    digital: row.digital ? decodeDigital(row.digital, row.count) : null,
    deviceTime: row.device_time,
    verified: row.crc32 !== null,
  };
}

/** Why a stored chunk cannot be trusted, or null when it can (or is unverified but well-formed). */
export function chunkProblem(row: Pick<ChunkRow, 'data' | 'digital' | 'crc32' | 'count' | 'channels'>): string | null {
  if (!(row.data instanceof Uint8Array) || (row.digital !== null && !(row.digital instanceof Uint8Array))) {
    return 'the sample data is not a BLOB';
  }
  if (row.crc32 !== null && chunkCrc(row.data, row.digital) !== row.crc32) return 'checksum mismatch';
  const expected = row.channels.split(',').length * row.count * 4;
  if (row.data.length !== expected) return `sample BLOB is ${row.data.length} bytes, expected ${expected}`;
  if (row.digital) {
    try {
      decodeDigital(row.digital, row.count);
    } catch (e) {
      return (e as Error).message;
    }
  }
  return null;
}

function span(row: ChunkRow): ChunkSpan {
  return {
    id: row.id,
    seq: row.seq,
    t0Ns: row.t0_ns,
    periodNs: row.period_ns,
    count: row.count,
    endNs: row.t0_ns + row.count * row.period_ns,
  };
}

/** ±Infinity would bind as REAL, which compares correctly, but keep the bound an exact integer. */
function finite(v: number): number {
  return v === Infinity ? Number.MAX_SAFE_INTEGER : v === -Infinity ? Number.MIN_SAFE_INTEGER : v;
}

/** A damaged chunk as a trace/export gap: its whole span, every sample in it lost. */
export function damagedGap(c: DamagedChunk): { startS: number; endS: number; lostSamples: number; reason: string } {
  return { startS: c.t0Ns / 1e9, endS: c.endNs / 1e9, lostSamples: c.count, reason: DAMAGED_REASON };
}
