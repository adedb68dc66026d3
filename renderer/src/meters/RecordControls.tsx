import { useState } from 'react';
import { useApi } from '../api/context';
import { ErrorMessage } from '../common/ErrorMessage';
import { stopwatch } from '../common/format';
import { useNow } from '../common/useNow';
import { navigate } from '../shell/route';
import { useLiveState } from '../shell/LiveState';

/** Record a power-only session from the connected meter; Stop finishes it and links to it. */
export function RecordControls() {
  const api = useApi();
  const { meter, recording, setRecording, recordingElapsedS } = useLiveState();
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
          <button type="button" className="danger" onClick={stop} disabled={busy} data-testid="record-stop">
            Stop
          </button>
        </div>
      ) : (
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
            onClick={start}
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
