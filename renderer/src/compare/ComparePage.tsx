import { useEffect, useMemo, useState } from 'react';
import { useApi } from '../api/context';
import { ErrorMessage } from '../common/ErrorMessage';
import { dateTime, duration } from '../common/format';
import { PlotExport } from '../common/PlotExport';
import type { Channel, SessionSummary, Trace } from '../common/types';
import type { ProfileDetails } from '../profile/profileLogic';
import { navigate } from '../shell/route';
import { useSessions } from '../sessions/useSessions';
import { OverlayHistogram, OverlayTrace } from './CompareCharts';
import {
  alignmentOffset,
  compareRows,
  markerChoices,
  overlaySegments,
  runEnergies,
  seriesColor,
  sharedHistogram,
  type AlignMode,
  type SessionAnchors,
} from './compareLogic';
import { SweepsPanel } from './SweepsPanel';
import './compare.css';

/** Buckets per trace: plenty for a 720-unit-wide plot, cheap for several sessions. */
const TRACE_POINTS = 1500;

interface Loaded {
  session: SessionSummary;
  anchors: SessionAnchors;
  profile: ProfileDetails | null;
}

const UNIT: Record<Channel, string> = { power: 'W', current: 'A', voltage: 'V' };

/** Two or more sessions side by side: traces on one aligned axis, statistics, energy histograms; and the stored sweeps. */
export function ComparePage({ ids }: { ids: number[] }) {
  return (
    <div className="page" data-testid="page-compare">
      <CompareSessions ids={ids} />
      <SweepsPanel />
    </div>
  );
}

function CompareSessions({ ids }: { ids: number[] }) {
  const api = useApi();
  const { sessions: all, error: listError } = useSessions();
  const [loaded, setLoaded] = useState<Loaded[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [align, setAlign] = useState<AlignMode>({ kind: 'start' });
  const [traces, setTraces] = useState<Map<number, Trace> | null>(null);
  const key = ids.join(',');

  useEffect(() => {
    let live = true;
    setLoaded(null);
    setError(null);
    Promise.all(
      ids.map(async (id): Promise<Loaded> => {
        const [session, markers] = await Promise.all([api.call('sessions.get', { id }), api.call('markers.list', { id })]);
        const profile = session.kind === 'profile' ? await api.call('profile.get', { id }) : null;
        return { session, profile, anchors: { id, markers, profile } };
      }),
    ).then(
      (l) => live && setLoaded(l),
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, key]);

  // One channel for every trace, so the overlay compares like with like.
  const channel: Channel | null = useMemo(() => {
    if (!loaded || loaded.length === 0) return null;
    for (const c of ['power', 'current', 'voltage'] as const) if (loaded.every((l) => l.session.channels.includes(c))) return c;
    return null;
  }, [loaded]);

  useEffect(() => {
    if (!loaded || !channel) return;
    let live = true;
    setTraces(null);
    Promise.all(loaded.map((l) => api.call('sessions.trace', { id: l.session.id, channel, points: TRACE_POINTS }))).then(
      (ts) => live && setTraces(new Map(ts.map((t) => [t.sessionId, t]))),
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [api, loaded, channel]);

  const toggle = (id: number) => navigate({ page: 'compare', ids: ids.includes(id) ? ids.filter((x) => x !== id) : [...ids, id] });
  const choices = loaded ? markerChoices(loaded.map((l) => l.anchors)) : [];
  const offsets = loaded?.map((l) => alignmentOffset(l.anchors, align)) ?? [];
  const alignLabel = align.kind === 'start' ? 'start' : align.kind === 'inferences' ? 'inference phase start' : `marker "${align.label}"`;
  const missing = offsets.flatMap((o) => (o.offsetS === null ? [o.reason] : []));
  const series =
    loaded && traces
      ? loaded.flatMap((l, i) => {
          const o = offsets[i]!;
          const t = traces.get(l.session.id);
          return o.offsetS === null || !t
            ? []
            : [{ name: `#${l.session.id} ${l.session.name}`, color: seriesColor(i), segments: overlaySegments(t, o.offsetS) }];
        })
      : null;
  const runs = loaded?.flatMap((l, i) => (l.profile ? [{ ...l, color: seriesColor(i) }] : [])) ?? [];
  const hist = sharedHistogram(runs.map((l) => runEnergies(l.profile)));
  const rows = loaded ? compareRows(loaded) : [];
  const alignValue = align.kind === 'marker' ? `marker:${align.label}` : align.kind;

  return (
    <>
      <section className="card">
        <h2>Compare sessions</h2>
        <p className="muted">Pick two or more sessions or profiling runs; their traces share one time axis.</p>
        <ErrorMessage error={listError} testId="compare-list-error" />
        {all ? (
          <div className="compare-picker" data-testid="compare-picker">
            {all.length === 0 ? <p className="muted">No sessions yet: record one on the Meters page or profile on the Run page.</p> : null}
            {all.map((s) => (
              <label key={s.id} className="compare-pick">
                <input type="checkbox" checked={ids.includes(s.id)} onChange={() => toggle(s.id)} data-testid={`compare-pick-${s.id}`} />
                <span>
                  #{s.id} {s.name}
                </span>
                <span className="muted small-print">
                  {s.kind === 'profile' ? 'profiling run · ' : ''}
                  {dateTime(s.startedAt)} · {duration(s.durationS)}
                </span>
              </label>
            ))}
          </div>
        ) : null}
      </section>
      {ids.length > 0 && ids.length < 2 ? <p className="note">Pick one more session to compare.</p> : null}
      <ErrorMessage error={error} testId="compare-error" />
      {loaded && loaded.length > 0 ? (
        <section className="card" data-testid="compare-result">
          <div className="compare-head">
            <h2>Traces</h2>
            <div className="field compare-align">
              <label htmlFor="compare-align">Align on</label>
              <select
                id="compare-align"
                value={alignValue}
                onChange={(e) => {
                  const v = e.target.value;
                  setAlign(v === 'start' || v === 'inferences' ? { kind: v } : { kind: 'marker', label: v.slice('marker:'.length) });
                }}
                data-testid="compare-align"
              >
                <option value="start">start of each session</option>
                {runs.length > 0 ? <option value="inferences">start of the inference phase</option> : null}
                {choices.map((c) => (
                  <option key={c.label} value={`marker:${c.label}`}>
                    {`marker "${c.label}" (${c.sessions} of ${loaded.length})`}
                  </option>
                ))}
              </select>
            </div>
          </div>
          {missing.length > 0 ? (
            <p className="note" data-testid="compare-align-missing">
              Left out of the overlay: {missing.join(' ')}
            </p>
          ) : null}
          {channel === null ? <p className="note">These sessions share no measured channel, so their traces cannot be overlaid.</p> : null}
          {series ? (
            <PlotExport name={`compare-${ids.join('-')}-${channel ?? 'trace'}`} testId="overlay-trace-save">
              <OverlayTrace series={series} unit={UNIT[channel ?? 'power']} alignLabel={alignLabel} />
            </PlotExport>
          ) : channel ? (
            <p className="muted">Loading traces…</p>
          ) : null}

          <h2>Statistics</h2>
          <div className="table-scroll">
            <table className="compare-stats" data-testid="compare-stats">
              <thead>
                <tr>
                  <th />
                  {loaded.map((l, i) => (
                    <th key={l.session.id} data-testid="compare-stats-session" data-session-id={l.session.id}>
                      <span className="compare-swatch" style={{ background: seriesColor(i) }} />
                      <a href={`#/sessions/${l.session.id}`}>
                        #{l.session.id} {l.session.name}
                      </a>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.key} data-testid={`compare-row-${r.key}`}>
                    <th scope="row">{r.label}</th>
                    {r.values.map((v, i) => (
                      <td key={i}>{v}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>

          {hist ? (
            <>
              <h2>Energy per inference</h2>
              <PlotExport name={`compare-${ids.join('-')}-energy-histogram`} testId="overlay-histogram-save">
                <OverlayHistogram names={runs.map((l) => `#${l.session.id} ${l.session.name}`)} colors={runs.map((l) => l.color)} hist={hist} />
              </PlotExport>
            </>
          ) : null}
        </section>
      ) : null}
    </>
  );
}
