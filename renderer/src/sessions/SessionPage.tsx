import { useEffect, useState } from 'react';
import { useApi, useApiEvent } from '../api/context';
import { ErrorMessage } from '../common/ErrorMessage';
import { count, dateTime, duration, joules, watts } from '../common/format';
import { SimBadge } from '../common/SimBadge';
import { ProfileSession } from '../profile/ProfileSession';
import type { Channel, SessionSummary } from '../common/types';
import { exportOutcome, startDownload } from './exportSession';
import { TraceChart } from './TraceChart';

export function SessionPage({ id }: { id: number }) {
  const api = useApi();
  const [session, setSession] = useState<SessionSummary | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [exporting, setExporting] = useState<'csv' | 'json' | null>(null);
  const [exportNote, setExportNote] = useState<string | null>(null);
  const [exportError, setExportError] = useState<unknown>(null);

  const load = () => {
    api.call('sessions.get', { id }).then(
      (s) => {
        setSession(s);
        setError(null);
      },
      setError,
    );
  };
  useEffect(load, [api, id]);
  // A session still recording changes until it stops: take its repeated summaries, and re-read
  // the final one when the recording ends.
  useApiEvent('session.recording', (rec) => {
    if (rec && rec.id === id) setSession(rec);
    else if (!rec && session?.status === 'recording') load();
  });

  const doExport = async (format: 'csv' | 'json') => {
    setExporting(format);
    setExportError(null);
    setExportNote(null);
    try {
      const outcome = exportOutcome(await api.call('sessions.export', { id, format }));
      if (outcome.kind === 'download') {
        startDownload(outcome.url, outcome.fileName);
        setExportNote(`Downloading ${outcome.fileName}.`);
      } else if (outcome.kind === 'saved') {
        setExportNote(`Saved to ${outcome.path}.`);
      }
    } catch (e) {
      setExportError(e);
    } finally {
      setExporting(null);
    }
  };

  if (error) {
    return (
      <div className="page" data-testid="page-session">
        <p>
          <a href="#/sessions">← Sessions</a>
        </p>
        <ErrorMessage error={error} testId="session-error" />
      </div>
    );
  }
  if (!session) return <div className="page muted" data-testid="page-session">Loading…</div>;

  const channel: Channel = session.channels.includes('power') ? 'power' : (session.channels[0] ?? 'power');

  return (
    <div className="page" data-testid="page-session" data-session-id={session.id} data-rate={session.sampleRateHz ?? ''}>
      <p className="crumbs">
        <a href="#/sessions">← Sessions</a>
      </p>
      <div className="session-head">
        <h1 data-testid="session-title">{session.name}</h1>
        <span className={`status status-${session.status}`} data-testid="session-status">
          {session.status}
        </span>
        <div className="spacer" />
        <button type="button" onClick={() => doExport('csv')} disabled={exporting !== null} data-testid="export-csv">
          {exporting === 'csv' ? 'Exporting…' : 'Export CSV'}
        </button>
        <button type="button" onClick={() => doExport('json')} disabled={exporting !== null} data-testid="export-json">
          {exporting === 'json' ? 'Exporting…' : 'Export JSON'}
        </button>
      </div>
      <p className="muted">
        Started {dateTime(session.startedAt)}
        {session.meter ? (
          <>
            {' · '}
            {session.meter.label} ({session.meter.spec}) <SimBadge simulated={session.meter.simulated} />
          </>
        ) : null}
        {session.sampleRateHz ? ` · ${count(session.sampleRateHz)} S/s` : ''}
      </p>
      {exportNote ? <p data-testid="export-note">{exportNote}</p> : null}
      <ErrorMessage error={exportError} testId="export-error" />

      <div className="summary" data-testid="summary">
        <Card label="Duration" value={duration(session.durationS)} testId="summary-duration" raw={session.durationS} />
        <Card label="Mean power" value={watts(session.meanPowerW)} testId="summary-mean-power" raw={session.meanPowerW} />
        <Card label="Energy" value={joules(session.energyJ)} testId="summary-energy" raw={session.energyJ} />
        <Card label="Samples" value={count(session.samples)} testId="summary-samples" raw={session.samples} />
        <Card
          label="Gaps"
          value={count(session.gaps)}
          testId="summary-gaps"
          raw={session.gaps}
          note={session.lostSamples ? `${count(session.lostSamples)} samples lost` : undefined}
        />
      </div>

      {session.kind === 'profile' ? (
        <ProfileSession session={session} channel={channel} />
      ) : session.samples > 0 ? (
        <TraceChart sessionId={session.id} durationS={session.durationS} channel={channel} />
      ) : (
        <p className="muted">This session has no samples to draw.</p>
      )}
    </div>
  );
}

function Card({ label, value, testId, raw, note }: { label: string; value: string; testId: string; raw: number | null; note?: string }) {
  return (
    <div className="summary-card">
      <div className="summary-label">{label}</div>
      <div className="summary-value" data-testid={testId} data-value={raw ?? ''}>
        {value}
      </div>
      {note ? <div className="summary-note">{note}</div> : null}
    </div>
  );
}
