import { useEffect, useState } from 'react';
import type { SelectionStatsDto } from '../../../main/api/contract';
import { useApi } from '../api/context';
import { ErrorMessage } from '../common/ErrorMessage';
import { amps, count, duration, joules, watts } from '../common/format';
import { coulombs, milliampHours, powerAssumption, uncoveredNote, wattHours } from './selectionStats';
import type { TimeRange } from './workbench';

/**
 * The selected range's statistics, exact from the stored samples (sessions.stats): Δt, mean/min/max
 * of current and power, charge and energy, and the time without samples that was left out.
 */
export function SelectionPanel({
  selection,
  onClear,
  onZoom,
  onMarker,
  onExport,
  exporting,
  stats,
  error,
}: {
  selection: TimeRange;
  stats: SelectionStatsDto | null;
  error: unknown;
  onClear: () => void;
  onZoom: () => void;
  onMarker: () => void;
  onExport: (format: 'csv' | 'json') => void;
  exporting: boolean;
}) {
  // Only the answer for this selection (an older one may still be on screen while the new one loads).
  const s = stats && stats.fromS === selection.fromS && stats.toS <= selection.toS + 1e-9 ? stats : null;
  const note = s ? uncoveredNote(s) : null;
  const assumption = s ? powerAssumption(s.powerSource, s.nominalVoltageV) : null;
  return (
    <section className="card selection" data-testid="selection" data-from={selection.fromS} data-to={selection.toS} data-loading={s ? 'false' : 'true'}>
      <div className="card-head">
        <h2>Selection</h2>
        <span className="muted" data-testid="selection-range">
          {selection.fromS.toFixed(6)} s – {selection.toS.toFixed(6)} s · Δt {duration(selection.toS - selection.fromS)}
        </span>
        <div className="spacer" />
        <button type="button" className="small" onClick={onZoom} data-testid="selection-zoom">
          Zoom to it
        </button>
        <button type="button" className="small" onClick={onMarker} data-testid="selection-marker">
          Mark it…
        </button>
        <button type="button" className="small" onClick={() => onExport('csv')} disabled={exporting} data-testid="selection-export-csv">
          Export CSV
        </button>
        <button type="button" className="small" onClick={() => onExport('json')} disabled={exporting} data-testid="selection-export-json">
          Export JSON
        </button>
        <button type="button" className="small" onClick={onClear} data-testid="selection-clear">
          Clear
        </button>
      </div>
      <ErrorMessage error={error} testId="selection-error" />
      {s ? (
        <>
          <dl className="selection-stats">
            <Stat label="Δt" value={duration(s.durationS)} raw={s.durationS} testId="sel-duration" />
            <Stat label="Samples" value={count(s.samples)} raw={s.samples} testId="sel-samples" />
            {s.current ? (
              <Stat
                label="Current mean"
                value={amps(s.current.mean)}
                raw={s.current.mean}
                testId="sel-current-mean"
                note={`min ${amps(s.current.min)} · max ${amps(s.current.max)}`}
              />
            ) : null}
            {s.power ? (
              <Stat
                label={s.powerSource === 'nominal-voltage' ? 'Power mean (assumed V)' : 'Power mean'}
                value={watts(s.power.mean)}
                raw={s.power.mean}
                testId="sel-power-mean"
                note={`min ${watts(s.power.min)} · max ${watts(s.power.max)}`}
              />
            ) : null}
            {s.chargeC !== null ? (
              <Stat label="Charge" value={coulombs(s.chargeC)} raw={s.chargeC} testId="sel-charge" note={milliampHours(s.chargeMAh)} />
            ) : null}
            {s.energyJ !== null ? <Stat label="Energy" value={joules(s.energyJ)} raw={s.energyJ} testId="sel-energy" note={wattHours(s.energyWh)} /> : null}
          </dl>
          {assumption ? (
            <p className="small-print warn" data-testid="sel-assumption">
              {assumption}
            </p>
          ) : null}
          {note ? (
            <p className="small-print warn" data-testid="sel-uncovered">
              {note}
            </p>
          ) : null}
          <p className="small-print muted">
            Exact from the stored samples: each holds its value for one sample period; samples cut by the edges count for their part inside.
          </p>
        </>
      ) : error ? null : (
        <p className="muted">Computing…</p>
      )}
    </section>
  );
}

function Stat({ label, value, raw, testId, note }: { label: string; value: string; raw: number; testId: string; note?: string }) {
  return (
    <div className="selection-stat">
      <dt>{label}</dt>
      <dd data-testid={testId} data-value={raw}>
        {value}
      </dd>
      {note ? <dd className="muted selection-note">{note}</dd> : null}
    </div>
  );
}

/** sessions.stats for the current selection (null while none or loading); the newest answer wins. */
export function useSelectionStats(sessionId: number, selection: TimeRange | null): { stats: SelectionStatsDto | null; error: unknown } {
  const api = useApi();
  const [stats, setStats] = useState<SelectionStatsDto | null>(null);
  const [error, setError] = useState<unknown>(null);
  const fromS = selection?.fromS;
  const toS = selection?.toS;
  useEffect(() => {
    setError(null);
    if (fromS === undefined || toS === undefined) {
      setStats(null);
      return;
    }
    let live = true;
    api.call('sessions.stats', { id: sessionId, fromS, toS }).then(
      (s) => live && setStats(s),
      (e: unknown) => {
        if (!live) return;
        setStats(null);
        setError(e);
      },
    );
    return () => {
      live = false;
    };
  }, [api, sessionId, fromS, toS]);
  return { stats: stats && stats.fromS === fromS ? stats : null, error };
}
