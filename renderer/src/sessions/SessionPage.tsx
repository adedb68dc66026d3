import { useCallback, useEffect, useState } from 'react';
import type { MarkerDto } from '../../../main/api/contract';
import { useApi, useApiEvent } from '../api/context';
import { ErrorMessage } from '../common/ErrorMessage';
import { amps, count, dateTime, duration, joules, watts } from '../common/format';
import { SimBadge } from '../common/SimBadge';
import { ProfileSession } from '../profile/ProfileSession';
import type { Channel, SessionSummary } from '../common/types';
import { exportOutcome, startDownload, type ExportFormat } from './exportSession';
import { TraceChart } from './TraceChart';
import { MarkersPanel } from './MarkersPanel';
import { secondsText, type MarkerDraft } from './markerForm';
import { SelectionPanel, useSelectionStats } from './SelectionPanel';
import { coulombs, milliampHours, powerAssumption } from './selectionStats';
import { SessionNotesAndDelete, SessionTitle } from './SessionManage';
import { WorkbenchContext, type TimeRange, type Workbench } from './workbench';
import './sessions.css';

export function SessionPage({ id }: { id: number }) {
  const api = useApi();
  const [session, setSession] = useState<SessionSummary | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [exporting, setExporting] = useState<ExportFormat | null>(null);
  const [exportNote, setExportNote] = useState<string | null>(null);
  const [exportError, setExportError] = useState<unknown>(null);
  const [selection, setSelection] = useState<TimeRange | null>(null);
  const [markers, setMarkers] = useState<MarkerDto[]>([]);
  const [draft, setDraft] = useState<MarkerDraft | null>(null);
  const [zoomRequest, setZoomRequest] = useState<TimeRange | null>(null);
  const selected = useSelectionStats(id, selection);
  const loadMarkers = useCallback(() => {
    api.call('markers.list', { id }).then(setMarkers, () => undefined);
  }, [api, id]);
  useEffect(loadMarkers, [loadMarkers]);
  const requestMarker = useCallback(
    (tS: number, endS: number | null) => setDraft({ start: secondsText(tS), end: endS === null ? '' : secondsText(endS), label: '' }),
    [],
  );
  const belowTrace = selection ? (
    <SelectionPanel
      selection={selection}
      stats={selected.stats}
      error={selected.error}
      onClear={() => setSelection(null)}
      onZoom={() => setZoomRequest({ ...selection })}
      onMarker={() => requestMarker(selection.fromS, selection.toS)}
      onExport={(format) => void doExport(format, selection)}
      exporting={exporting !== null}
    />
  ) : null;
  const workbench: Workbench = { selection, select: setSelection, markers, requestMarker, zoomRequest, belowTrace };

  // The stored statistics first, so the trace and cards appear at once; then the same summary with
  // every chunk's checksum checked (a damaged chunk becomes a gap), which reads all the samples.
  const load = () => {
    let verified = false;
    api.call('sessions.get', { id, verify: false }).then((s) => {
      if (verified) return;
      setSession(s);
      setError(null);
    }, setError);
    api.call('sessions.get', { id }).then((s) => {
      verified = true;
      setSession(s);
      setError(null);
    }, setError);
  };
  useEffect(load, [api, id]);
  // A session still recording changes until it stops: take its repeated summaries, and re-read
  // the final one when the recording ends.
  useApiEvent('session.recording', (rec) => {
    if (rec && rec.id === id) setSession(rec);
    else if (!rec && session?.status === 'recording') load();
  });

  const doExport = async (format: ExportFormat, range?: TimeRange) => {
    setExporting(format);
    setExportError(null);
    setExportNote(null);
    try {
      const outcome = exportOutcome(await api.call('sessions.export', { id, format, ...(range ? { fromS: range.fromS, toS: range.toS } : {}) }));
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
  if (!session)
    return (
      <div className="page muted" data-testid="page-session">
        Loading…
      </div>
    );

  const channel: Channel = session.channels.includes('power') ? 'power' : (session.channels[0] ?? 'power');

  return (
    <div className="page" data-testid="page-session" data-session-id={session.id} data-rate={session.sampleRateHz ?? ''}>
      <p className="crumbs">
        <a href="#/sessions">← Sessions</a>
      </p>
      <div className="session-head">
        <SessionTitle key={session.id} session={session} onSaved={setSession} />
        <span className={`status status-${session.status}`} data-testid="session-status" title={session.statusReason ?? undefined}>
          {session.status}
        </span>
        <div className="spacer" />
        <button type="button" onClick={() => void doExport('csv')} disabled={exporting !== null} data-testid="export-csv">
          {exporting === 'csv' ? 'Exporting…' : 'Export CSV'}
        </button>
        <button type="button" onClick={() => void doExport('json')} disabled={exporting !== null} data-testid="export-json">
          {exporting === 'json' ? 'Exporting…' : 'Export JSON'}
        </button>
        <button type="button" onClick={() => void doExport('parquet')} disabled={exporting !== null} data-testid="export-parquet">
          {exporting === 'parquet' ? 'Exporting…' : 'Export Parquet'}
        </button>
        <button
          type="button"
          onClick={() => void doExport('html')}
          disabled={exporting !== null}
          data-testid="export-html"
          title="A self-contained report that opens offline"
        >
          {exporting === 'html' ? 'Exporting…' : 'HTML report'}
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
      {session.statusReason && session.status !== 'complete' ? (
        <p className="note status-reason" data-testid="session-status-reason">
          {session.statusReason}
        </p>
      ) : null}
      {exportNote ? <p data-testid="export-note">{exportNote}</p> : null}
      <ErrorMessage error={exportError} testId="export-error" />

      <SummaryCards session={session} selection={selection} stats={selected.stats} />

      <WorkbenchContext.Provider value={workbench}>
        {session.kind === 'profile' ? (
          <ProfileSession session={session} channel={channel} />
        ) : session.samples > 0 ? (
          <TraceChart sessionId={session.id} durationS={session.durationS} channel={channel} />
        ) : (
          <p className="muted">This session has no samples to draw.</p>
        )}
        <MarkersPanel
          sessionId={session.id}
          durationS={session.durationS}
          markers={markers}
          draft={draft}
          setDraft={setDraft}
          onChanged={loadMarkers}
          onShow={(m) => {
            const pad = Math.max(0.05 * session.durationS, 1e-3);
            setZoomRequest({ fromS: Math.max(0, m.tS - pad), toS: Math.min(session.durationS, (m.endS ?? m.tS) + pad) });
          }}
        />
        <SessionNotesAndDelete key={`manage-${session.id}`} session={session} onSaved={setSession} />
      </WorkbenchContext.Provider>
    </div>
  );
}

/**
 * Duration, power, energy, samples and gaps of the whole session, or of the selected range while
 * there is one. Where current is measured, mean current and charge are shown beside power; power
 * from a current-only meter says the voltage it assumes.
 */
function SummaryCards({
  session,
  selection,
  stats,
}: {
  session: SessionSummary;
  selection: TimeRange | null;
  stats: ReturnType<typeof useSelectionStats>['stats'];
}) {
  const sel = selection ? stats : null;
  const assumption = powerAssumption(sel ? sel.powerSource : session.powerSource, sel ? sel.nominalVoltageV : session.nominalVoltageV);
  const meanPower = sel ? (sel.power?.mean ?? null) : session.meanPowerW;
  const meanCurrent = sel ? (sel.current?.mean ?? null) : (session.meanCurrentA ?? null);
  const charge = sel ? sel.chargeC : (session.chargeC ?? null);
  const gaps = sel ? sel.gaps.length : session.gaps;
  const lost = sel ? sel.lostSamples : session.lostSamples;
  return (
    <>
      {selection ? (
        <p className="summary-scope" data-testid="summary-scope">
          {sel ? 'The cards show the selection' : 'Computing the selection…'} ({selection.fromS.toFixed(3)} s – {selection.toS.toFixed(3)} s); clear it to see
          the whole session.
        </p>
      ) : null}
      <div className={`summary${selection ? ' summary-selection' : ''}`} data-testid="summary" data-scope={sel ? 'selection' : 'session'}>
        <Card
          label={sel ? 'Δt' : 'Duration'}
          value={duration(sel ? sel.durationS : session.durationS)}
          testId="summary-duration"
          raw={sel ? sel.durationS : session.durationS}
        />
        <Card label={assumption ? 'Mean power (assumed V)' : 'Mean power'} value={watts(meanPower)} testId="summary-mean-power" raw={meanPower} />
        <Card label="Energy" value={joules(sel ? sel.energyJ : session.energyJ)} testId="summary-energy" raw={sel ? sel.energyJ : session.energyJ} />
        {meanCurrent !== null ? <Card label="Mean current" value={amps(meanCurrent)} testId="summary-mean-current" raw={meanCurrent} /> : null}
        {charge !== null ? <Card label="Charge" value={coulombs(charge)} testId="summary-charge" raw={charge} plain={milliampHours(charge / 3.6)} /> : null}
        <Card label="Samples" value={count(sel ? sel.samples : session.samples)} testId="summary-samples" raw={sel ? sel.samples : session.samples} />
        <Card label="Gaps" value={count(gaps)} testId="summary-gaps" raw={gaps} note={lost ? `${count(lost)} samples lost` : undefined} />
      </div>
      {assumption ? (
        <p className="small-print warn" data-testid="power-assumption">
          {assumption}
        </p>
      ) : null}
    </>
  );
}

function Card({ label, value, testId, raw, note, plain }: { label: string; value: string; testId: string; raw: number | null; note?: string; plain?: string }) {
  return (
    <div className="summary-card">
      <div className="summary-label">{label}</div>
      <div className="summary-value" data-testid={testId} data-value={raw ?? ''}>
        {value}
      </div>
      {plain ? <div className="summary-plain muted">{plain}</div> : null}
      {note ? <div className="summary-note">{note}</div> : null}
    </div>
  );
}
