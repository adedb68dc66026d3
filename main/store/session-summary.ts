import type { SessionSummary } from '../api/contract';
import type { Channel } from '../meters/types';
import { monotonicNs } from '../util/clock';
import type { SessionRow, SessionsRepo } from './sessions-repo';

/** The summary every view and export shows: one definition so the numbers never disagree. */
export function sessionSummary(repo: SessionsRepo, row: SessionRow): SessionSummary {
  const stats = repo.stats(row.id);
  const durationS =
    row.duration_s ?? (row.status === 'recording' ? (monotonicNs() - row.start_mono_ns) / 1e9 : stats.lastSampleS);
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    status: row.status,
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
    gaps: stats.gaps,
    lostSamples: stats.lostSamples,
    meanPowerW: stats.meanPowerW,
    energyJ: stats.energyJ,
    powerSource: stats.powerSource,
  };
}
