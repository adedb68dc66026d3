import type { SessionSummary } from '../api/contract';
import type { Channel } from '../meters/types';
import { monotonicNs } from '../util/clock';
import type { DamagedChunk } from './chunk-reader';
import type { SessionRow, SessionStats, SessionsRepo } from './sessions-repo';

export interface SummaryOptions {
  /**
   * Check every chunk's checksum (reads all the session's BLOBs, ~40 ms per 10 M samples) and leave
   * damaged chunks out of samples and energy. Default true; the session list and the live summary
   * of a recording pass false and report damagedChunks: null.
   */
  verify?: boolean;
  /** The session's stats when already computed (SessionsRepo.allStats() for the list); implies verify false. */
  stats?: SessionStats;
  /** Damaged chunks already found (ChunkVerifier, off the event loop): used instead of checking here. */
  damaged?: DamagedChunk[];
}

/** The summary every view and export shows: one definition so the numbers never disagree. */
export function sessionSummary(repo: SessionsRepo, row: SessionRow, options: SummaryOptions = {}): SessionSummary {
  const damaged = options.damaged ?? (options.verify === false || options.stats ? null : repo.damagedChunks(row.id));
  const stats =
    options.stats ??
    repo.stats(
      row.id,
      damaged?.map((c) => c.id),
    );
  const damagedSamples = damaged?.reduce((n, c) => n + c.count, 0) ?? 0;
  const durationS = row.duration_s ?? (row.status === 'recording' ? (monotonicNs() - row.start_mono_ns) / 1e9 : stats.lastSampleS);
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    status: row.status,
    statusReason: row.status_reason ?? null,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    durationS,
    meter: row.meter_spec
      ? { spec: row.meter_spec, label: row.meter_label ?? row.meter_spec, driver: row.meter_driver ?? '', simulated: row.simulated === 1 }
      : null,
    model: row.model,
    backend: row.backend,
    notes: row.notes,
    channels: JSON.parse(row.channels) as Channel[],
    sampleRateHz: row.sample_rate_hz,
    samples: stats.samples,
    // A damaged chunk is a loss like any other: one gap, all its samples lost.
    gaps: stats.gaps + (damaged?.length ?? 0),
    lostSamples: stats.lostSamples + damagedSamples,
    meanPowerW: stats.meanPowerW,
    energyJ: stats.energyJ,
    powerSource: stats.powerSource,
    nominalVoltageV: stats.nominalVoltageV,
    meanCurrentA: stats.meanCurrentA,
    chargeC: stats.chargeC,
    lastSampleS: stats.lastSampleS,
    unverifiedChunks: stats.unverifiedChunks,
    damagedChunks: damaged?.length ?? null,
  };
}
