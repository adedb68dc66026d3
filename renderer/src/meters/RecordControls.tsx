import { useState } from 'react';
import { useApi } from '../api/context';
import { ErrorMessage } from '../common/ErrorMessage';
import { si, stopwatch } from '../common/format';
import { useNow } from '../common/useNow';
import { navigate } from '../shell/route';
import { useLiveState } from '../shell/LiveState';
import type { RecordingTotalsDto } from '../../../main/api/contract';

/** Record a power-only session from the connected meter; Stop finishes it and links to it. */
export function RecordControls() {
  const api = useApi();
  const { meter, recording, setRecording, recordingElapsedS, totals } = useLiveState();
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [last, setLast] = useState<{ id: number; name: string } | null>(null);
  const now = useNow(recording !== null);

  const canRecord = meter?.state === 'streaming';
  const elapsedS = recording ? recordingElapsedS(now) : 0;

  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      const trimmed = name.trim();
      setRecording(await api.call('sessions.start', trimmed ? { name: trimmed } : {}));
      setLast(null);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const stop = async () => {
    setBusy(true);
    setError(null);
    try {
      const done = await api.call('sessions.stop', {});
      setRecording(null);
      setLast({ id: done.id, name: done.name });
      setName('');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card record" data-testid="record-controls">
      <h2>Record</h2>
      {recording ? (
        <div className="recording-row">
          <span className="rec-dot" aria-hidden="true" />
          <span data-testid="recording-name">{recording.name}</span>
          <span className="elapsed" data-testid="record-elapsed" data-seconds={elapsedS.toFixed(2)}>
            {stopwatch(elapsedS)}
          </span>
          <button type="button" className="danger" onClick={() => void stop()} disabled={busy} data-testid="record-stop">
            Stop
          </button>
        </div>
      ) : null}
      {recording ? <RunningTotals totals={totals.current?.sessionId === recording.id ? totals.current : null} /> : null}
      {recording ? null : (
        <div className="recording-row">
          <input
            type="text"
            placeholder="Session name (optional)"
            value={name}
            maxLength={200}
            onChange={(e) => setName(e.target.value)}
            data-testid="session-name"
          />
          <button
            type="button"
            className="primary"
            onClick={() => void start()}
            disabled={busy || !canRecord}
            title={canRecord ? undefined : 'Connect a meter first'}
            data-testid="record-start"
          >
            Record
          </button>
        </div>
      )}
      {last ? (
        <p data-testid="record-done">
          Saved{' '}
          <a href={`#/sessions/${last.id}`} onClick={(e) => (e.preventDefault(), navigate({ page: 'session', id: last.id }))} data-testid="record-done-link">
            {last.name}
          </a>
          .
        </p>
      ) : null}
      <ErrorMessage error={error} testId="record-error" />
    </section>
  );
}

/**
 * Charge and energy recorded so far, integrated by the core over the stored samples (not the live
 * buckets); re-read with the stopwatch's tick.
 */
function RunningTotals({ totals }: { totals: RecordingTotalsDto | null }) {
  const energyNote = totals?.energySource === 'current×nominal' ? ' (at the nominal supply voltage)' : '';
  return (
    <dl className="running-totals" data-testid="record-totals">
      <div>
        <dt>Charge</dt>
        <dd data-testid="record-charge" data-value={totals?.chargeC ?? ''}>
          {totals?.chargeC != null ? `${si(totals.chargeC, 'C')} · ${mAh(totals.chargeC)}` : '—'}
        </dd>
      </div>
      <div>
        <dt>Energy{energyNote}</dt>
        <dd data-testid="record-energy" data-value={totals?.energyJ ?? ''}>
          {totals?.energyJ != null ? `${si(totals.energyJ, 'J')} · ${si(totals.energyJ / 3600, 'Wh')}` : '—'}
        </dd>
      </div>
    </dl>
  );
}

/** Charge in mAh (1 mAh = 3.6 C), 3 significant digits. */
export function mAh(coulombs: number): string {
  const v = coulombs / 3.6;
  return `${v === 0 ? '0' : Math.abs(v) >= 1000 ? v.toFixed(0) : v.toPrecision(3)} mAh`;
}
