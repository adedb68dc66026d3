/**
 * Sessions, meters, chunks and gaps: every read and write of recorded data goes through here.
 * Summaries are computed from per-chunk stats in SQL, so they are cheap for sessions of any length.
 */
import type { Channel, MeterCapabilities, SampleChunk } from '../meters/types';
import { UserError } from '../util/errors';
import { pidAlive } from '../util/pid';
import { encodePlanes, planeStats, ENCODING } from './chunk-codec';
import { encodeDigital } from './digital-codec';
import { chunkCrc } from './chunk-crc';
import { insertPyramid } from './trace-pyramid';
import { findDamagedChunks, type DamagedChunk } from './chunk-reader';
import type { Db } from './database';

export type SessionStatus = 'recording' | 'complete' | 'interrupted' | 'incomplete' | 'cancelled';
export type FinishedStatus = Exclude<SessionStatus, 'recording'>;

export interface MeterRecord {
  spec: string;
  driver: string;
  label: string;
  capabilities: MeterCapabilities;
  settings?: Record<string, unknown>;
}

export interface SessionRow {
  id: number;
  name: string;
  kind: 'power' | 'profile';
  status: SessionStatus;
  /** One sentence: why the session ended early, if it did. */
  status_reason: string | null;
  started_at: string;
  ended_at: string | null;
  start_mono_ns: number;
  duration_s: number | null;
  meter_id: number | null;
  simulated: number;
  model: string | null;
  backend: string | null;
  notes: string;
  channels: string;
  sample_rate_hz: number | null;
  writer_pid: number | null;
  nominal_voltage_v: number | null;
  meter_spec: string | null;
  meter_label: string | null;
  meter_driver: string | null;
}

export interface SessionStats {
  samples: number;
  gaps: number;
  lostSamples: number;
  meanPowerW: number | null;
  energyJ: number | null;
  /** 'measured' from a power channel, 'nominal-voltage' = current × the supply voltage the meter set. */
  powerSource: 'measured' | 'nominal-voltage' | null;
  /** End of the last stored sample, seconds from session start. */
  lastSampleS: number;
  /** Chunks stored before checksums existed (crc32 NULL): counted, not verified. */
  unverifiedChunks: number;
  /** Time-weighted mean current over the chunks that measure it, and its integral (C). */
  meanCurrentA: number | null;
  chargeC: number | null;
  /** The voltage assumed for power when powerSource is 'nominal-voltage'. */
  nominalVoltageV: number | null;
}

export interface GapRow {
  start_ns: number;
  end_ns: number;
  lost_samples: number;
  reason: string;
}

export class SessionsRepo {
  constructor(private readonly db: Db) {}

  addMeter(m: MeterRecord): number {
    const r = this.db
      .prepare(
        `INSERT INTO meters (spec, driver, label, simulated, capabilities, settings, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        m.spec,
        m.driver,
        m.label,
        m.capabilities.simulated ? 1 : 0,
        JSON.stringify(m.capabilities),
        JSON.stringify(m.settings ?? {}),
        new Date().toISOString(),
      );
    return Number(r.lastInsertRowid);
  }

  createSession(s: {
    name: string;
    kind: 'power' | 'profile';
    startMonoNs: number;
    meterId: number | null;
    simulated: boolean;
    channels: Channel[];
    sampleRateHz: number | null;
    nominalVoltageV?: number | null;
    model?: string | null;
    backend?: string | null;
    notes?: string;
  }): number {
    const r = this.db
      .prepare(
        `INSERT INTO sessions (name, kind, status, started_at, start_mono_ns, meter_id, simulated, channels,
           sample_rate_hz, model, backend, notes, writer_pid, nominal_voltage_v)
         VALUES (?, ?, 'recording', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        s.name,
        s.kind,
        new Date().toISOString(),
        Math.round(s.startMonoNs),
        s.meterId,
        s.simulated ? 1 : 0,
        JSON.stringify(s.channels),
        s.sampleRateHz,
        s.model ?? null,
        s.backend ?? null,
        s.notes ?? '',
        process.pid,
        s.nominalVoltageV ?? null,
      );
    return Number(r.lastInsertRowid);
  }

  /** Closes a session; `reason` is one sentence saying why it ended early (stored as status_reason). */
  finishSession(id: number, status: FinishedStatus, durationS: number, endedAt: string = new Date().toISOString(), reason: string | null = null): void {
    this.db
      .prepare(`UPDATE sessions SET status = ?, status_reason = ?, ended_at = ?, duration_s = ?, writer_pid = NULL WHERE id = ?`)
      .run(status, reason, endedAt, durationS, id);
  }

  /**
   * Sessions left 'recording' by a process that no longer runs (crash, kill, power loss) become
   * 'interrupted', ending at their last stored sample. Their data is kept as it is.
   */
  recoverInterrupted(isAlive: (pid: number) => boolean = pidAlive): number[] {
    const rows = this.db.prepare(`SELECT id, writer_pid FROM sessions WHERE status = 'recording'`).all() as {
      id: number;
      writer_pid: number | null;
    }[];
    const recovered: number[] = [];
    for (const row of rows) {
      if (row.writer_pid !== null && row.writer_pid !== process.pid && isAlive(row.writer_pid)) continue;
      if (row.writer_pid === process.pid) continue;
      const stats = this.stats(row.id);
      this.finishSession(
        row.id,
        'interrupted',
        stats.lastSampleS,
        new Date().toISOString(),
        'The recording process ended without closing the session (crash, kill or power loss); the data stored until then is kept.',
      );
      recovered.push(row.id);
    }
    return recovered;
  }

  /** Inserts one storage chunk (already cut to the storage duration) with its per-channel stats. */
  insertChunk(
    sessionId: number,
    seq: number,
    t0Ns: number,
    chunk: Pick<SampleChunk, 'periodNs' | 'count' | 'channels' | 'data' | 'digital' | 'deviceTime'>,
  ): void {
    const stats: Record<string, number | null> = {
      current_min: null,
      current_max: null,
      current_mean: null,
      voltage_min: null,
      voltage_max: null,
      voltage_mean: null,
      power_min: null,
      power_max: null,
      power_mean: null,
    };
    chunk.channels.forEach((ch, i) => {
      const st = planeStats(chunk.data[i]!, chunk.count);
      stats[`${ch}_min`] = st.min;
      stats[`${ch}_max`] = st.max;
      stats[`${ch}_mean`] = st.mean;
    });
    const data = encodePlanes(chunk.data, chunk.count);
    const digital = chunk.digital ? encodeDigital(chunk.digital, chunk.count) : null;
    // The chunk and its trace pyramid (trace-pyramid.ts) are stored together or not at all.
    this.db.transaction(() => {
      const r = this.insertChunkStmt().run({
        session_id: sessionId,
        seq,
        t0_ns: Math.round(t0Ns),
        period_ns: chunk.periodNs,
        count: chunk.count,
        channels: chunk.channels.join(','),
        encoding: ENCODING,
        data,
        digital,
        crc32: chunkCrc(data, digital),
        device_time: chunk.deviceTime ?? null,
        ...stats,
      });
      insertPyramid(this.db, {
        chunkId: Number(r.lastInsertRowid),
        sessionId,
        seq,
        t0Ns,
        periodNs: chunk.periodNs,
        count: chunk.count,
        channels: chunk.channels,
        planes: chunk.data,
      });
      // The logic lanes' copy (schema 7): read without walking the sample BLOB's overflow pages.
      if (digital) {
        this.db
          .prepare('INSERT INTO chunk_digital (chunk_id, session_id, t0_ns, period_ns, count, digital) VALUES (?, ?, ?, ?, ?, ?)')
          .run(r.lastInsertRowid, sessionId, Math.round(t0Ns), chunk.periodNs, chunk.count, digital);
      }
    })();
  }

  private chunkStmt: ReturnType<Db['prepare']> | undefined;
  private insertChunkStmt(): ReturnType<Db['prepare']> {
    this.chunkStmt ??= this.db.prepare(
      `INSERT INTO sample_chunks (session_id, seq, t0_ns, period_ns, count, channels, encoding, data, digital, crc32, device_time,
         current_min, current_max, current_mean, voltage_min, voltage_max, voltage_mean, power_min, power_max, power_mean)
       VALUES (@session_id, @seq, @t0_ns, @period_ns, @count, @channels, @encoding, @data, @digital, @crc32, @device_time,
         @current_min, @current_max, @current_mean, @voltage_min, @voltage_max, @voltage_mean, @power_min, @power_max, @power_mean)`,
    );
    return this.chunkStmt;
  }

  insertGap(sessionId: number, gap: GapRow): void {
    this.db
      .prepare(`INSERT INTO gaps (session_id, start_ns, end_ns, lost_samples, reason) VALUES (?, ?, ?, ?, ?)`)
      .run(sessionId, Math.round(gap.start_ns), Math.round(gap.end_ns), gap.lost_samples, gap.reason);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  get(id: number): SessionRow {
    const row = this.db
      .prepare(
        `SELECT s.*, m.spec AS meter_spec, m.label AS meter_label, m.driver AS meter_driver
         FROM sessions s LEFT JOIN meters m ON m.id = s.meter_id WHERE s.id = ?`,
      )
      .get(id) as SessionRow | undefined;
    if (!row) {
      throw new UserError(`There is no session ${id}; run "ddi-profiler sessions" to list the sessions in this database.`, 'no-session');
    }
    return row;
  }

  list(): SessionRow[] {
    return this.db
      .prepare(
        `SELECT s.*, m.spec AS meter_spec, m.label AS meter_label, m.driver AS meter_driver
         FROM sessions s LEFT JOIN meters m ON m.id = s.meter_id ORDER BY s.id DESC`,
      )
      .all() as SessionRow[];
  }

  /**
   * Sample, power and energy figures from the per-chunk stats (read from the covering index
   * sample_chunks_stats, never the BLOBs). `excludeChunkIds` leaves chunks out of the figures
   * (damaged ones, see chunk-reader.ts); the time extent (lastSampleS) still covers them.
   */
  stats(id: number, excludeChunkIds: readonly number[] = []): SessionStats {
    const excluded = JSON.stringify(excludeChunkIds);
    const c = this.db.prepare(SUMMARY_STATS_SQL).get({ id, excluded }) as ChunkAggregates;
    const extent = this.db
      .prepare(
        `SELECT max(t0_ns + count * period_ns) AS end_ns, count(*) - count(crc32) AS unverified
         FROM sample_chunks WHERE session_id = ?`,
      )
      .get(id) as { end_ns: number | null; unverified: number };
    const g = this.db.prepare(`SELECT count(*) AS n, coalesce(sum(lost_samples), 0) AS lost FROM gaps WHERE session_id = ?`).get(id) as {
      n: number;
      lost: number;
    };
    const v = (this.db.prepare('SELECT nominal_voltage_v AS v FROM sessions WHERE id = ?').get(id) as { v: number | null } | undefined)?.v ?? null;
    return statsFrom(c, extent, g, v);
  }

  /**
   * stats() of every session at once (no chunk excluded), from three grouped queries over the same
   * covering index: the session list with thousands of sessions costs three statements, not four per row.
   */
  allStats(): Map<number, SessionStats> {
    const chunks = this.db.prepare(ALL_STATS_SQL).all() as (ChunkAggregates & { session_id: number; end_ns: number | null; unverified: number })[];
    const gaps = this.db.prepare('SELECT session_id, count(*) AS n, coalesce(sum(lost_samples), 0) AS lost FROM gaps GROUP BY session_id').all() as {
      session_id: number;
      n: number;
      lost: number;
    }[];
    const sessions = this.db.prepare('SELECT id, nominal_voltage_v AS v FROM sessions').all() as { id: number; v: number | null }[];
    const byChunk = new Map(chunks.map((c) => [c.session_id, c]));
    const byGap = new Map(gaps.map((g) => [g.session_id, g]));
    const out = new Map<number, SessionStats>();
    for (const { id, v } of sessions) {
      const c = byChunk.get(id) ?? EMPTY_AGGREGATES;
      out.set(id, statsFrom(c, { end_ns: c.end_ns ?? null, unverified: c.unverified ?? 0 }, byGap.get(id) ?? { n: 0, lost: 0 }, v));
    }
    return out;
  }

  /** Renames a session and/or replaces its notes (what is not given stays). */
  update(id: number, changes: { name?: string; notes?: string }): void {
    this.get(id);
    if (changes.name !== undefined) this.db.prepare('UPDATE sessions SET name = ? WHERE id = ?').run(changes.name, id);
    if (changes.notes !== undefined) this.db.prepare('UPDATE sessions SET notes = ? WHERE id = ?').run(changes.notes, id);
  }

  /** Deletes a session with everything stored for it (chunks, gaps, markers, inferences cascade). */
  delete(id: number): void {
    const row = this.get(id);
    if (row.status === 'recording' && (row.writer_pid === process.pid || (row.writer_pid !== null && pidAlive(row.writer_pid)))) {
      throw new UserError(`Session ${id} is still recording; stop it before deleting it.`, 'busy');
    }
    this.db.prepare('DELETE FROM sessions WHERE id = ?').run(id);
  }

  gaps(id: number, fromNs = -Infinity, toNs = Infinity): GapRow[] {
    return this.db
      .prepare(`SELECT start_ns, end_ns, lost_samples, reason FROM gaps WHERE session_id = ? AND end_ns >= ? AND start_ns <= ? ORDER BY start_ns`)
      .all(id, clampSql(fromNs), clampSql(toNs)) as GapRow[];
  }

  /** Chunks of the session whose checksum or size does not match (reads every BLOB of it). */
  damagedChunks(id: number): DamagedChunk[] {
    return findDamagedChunks(this.db, id);
  }

  chunkCount(id: number): number {
    return (this.db.prepare('SELECT count(*) AS n FROM sample_chunks WHERE session_id = ?').get(id) as { n: number }).n;
  }
}

interface ChunkAggregates {
  samples: number;
  p_sum: number | null;
  p_n: number | null;
  e_ns: number | null;
  i_sum: number | null;
  q_ns: number | null;
  i_n: number | null;
  q_all_ns: number | null;
  t_all_ns: number | null;
  end_ns?: number | null;
  unverified?: number;
}

const EMPTY_AGGREGATES: ChunkAggregates = {
  samples: 0,
  p_sum: null,
  p_n: null,
  e_ns: null,
  i_sum: null,
  q_ns: null,
  i_n: null,
  q_all_ns: null,
  t_all_ns: null,
};

/** The one formula from the aggregates to the figures every view shows. */
function statsFrom(c: ChunkAggregates, extent: { end_ns: number | null; unverified: number }, g: { n: number; lost: number }, v: number | null): SessionStats {
  let meanPowerW = c.p_n ? c.p_sum! / c.p_n : null;
  let energyJ = c.e_ns !== null ? c.e_ns * 1e-9 : null;
  let powerSource: SessionStats['powerSource'] = c.p_n ? 'measured' : null;
  // Current-only chunks with a known supply voltage: P = V·I (the meter sets V, e.g. PPK2 source mode).
  if (v !== null && c.i_n) {
    const sumP = (meanPowerW ?? 0) * (c.p_n ?? 0) + v * c.i_sum!;
    meanPowerW = sumP / ((c.p_n ?? 0) + c.i_n);
    energyJ = (energyJ ?? 0) + v * c.q_ns! * 1e-9;
    powerSource = c.p_n ? 'measured' : 'nominal-voltage';
  }
  return {
    samples: c.samples,
    gaps: g.n,
    lostSamples: g.lost,
    meanPowerW,
    energyJ,
    powerSource,
    lastSampleS: extent.end_ns !== null ? extent.end_ns * 1e-9 : 0,
    unverifiedChunks: extent.unverified,
    meanCurrentA: c.t_all_ns ? c.q_all_ns! / c.t_all_ns : null,
    chargeC: c.q_all_ns !== null ? c.q_all_ns * 1e-9 : null,
    nominalVoltageV: powerSource === 'nominal-voltage' ? v : null,
  };
}

/** The aggregates of SUMMARY_STATS_SQL for every session, plus the time extent (same covering index). */
const ALL_STATS_SQL = `
  SELECT session_id,
         coalesce(sum(count), 0) AS samples,
         sum(CASE WHEN power_mean IS NOT NULL THEN power_mean * count END) AS p_sum,
         sum(CASE WHEN power_mean IS NOT NULL THEN count END) AS p_n,
         sum(CASE WHEN power_mean IS NOT NULL THEN power_mean * count * period_ns END) AS e_ns,
         sum(CASE WHEN power_mean IS NULL THEN current_mean * count END) AS i_sum,
         sum(CASE WHEN power_mean IS NULL THEN current_mean * count * period_ns END) AS q_ns,
         sum(CASE WHEN power_mean IS NULL AND current_mean IS NOT NULL THEN count END) AS i_n,
         sum(current_mean * count * period_ns) AS q_all_ns,
         sum(CASE WHEN current_mean IS NOT NULL THEN count * period_ns END) AS t_all_ns,
         max(t0_ns + count * period_ns) AS end_ns,
         count(*) - count(crc32) AS unverified
  FROM sample_chunks GROUP BY session_id`;

/**
 * The summary's aggregates over per-chunk stats, minus excluded (damaged) chunk ids. Every column
 * it reads is in the covering index sample_chunks_stats (migration 003), so no row is visited.
 */
export const SUMMARY_STATS_SQL = `
  WITH kept AS (
    SELECT count, period_ns, power_mean, current_mean FROM sample_chunks
    WHERE session_id = @id AND id NOT IN (SELECT value FROM json_each(@excluded)))
  SELECT coalesce(sum(count), 0) AS samples,
         sum(CASE WHEN power_mean IS NOT NULL THEN power_mean * count END) AS p_sum,
         sum(CASE WHEN power_mean IS NOT NULL THEN count END) AS p_n,
         sum(CASE WHEN power_mean IS NOT NULL THEN power_mean * count * period_ns END) AS e_ns,
         sum(CASE WHEN power_mean IS NULL THEN current_mean * count END) AS i_sum,
         sum(CASE WHEN power_mean IS NULL THEN current_mean * count * period_ns END) AS q_ns,
         sum(CASE WHEN power_mean IS NULL AND current_mean IS NOT NULL THEN count END) AS i_n,
         sum(current_mean * count * period_ns) AS q_all_ns,
         sum(CASE WHEN current_mean IS NOT NULL THEN count * period_ns END) AS t_all_ns
  FROM kept`;

/** SQLite integers are 64-bit; ±Infinity binds as REAL, which compares correctly, but keep it explicit. */
function clampSql(v: number): number {
  return v === Infinity ? Number.MAX_SAFE_INTEGER : v === -Infinity ? Number.MIN_SAFE_INTEGER : v;
}
