import { ErrorMessage } from '../common/ErrorMessage';
import { useMemo, useState } from 'react';
import { amps, count, dateTime, duration, joules, watts } from '../common/format';
import { SimBadge } from '../common/SimBadge';
import { navigate } from '../shell/route';
import { useSessions } from './useSessions';
import { DEFAULT_QUERY, facets, filterSessions, type SessionQuery, type SortKey } from './sessionFilter';
import { coulombs } from './selectionStats';
import './sessions.css';

/** Rows drawn at once: thousands of sessions stay quick to filter; "Show more" draws the next page. */
const PAGE_ROWS = 200;

export function SessionsPage() {
  const { sessions: all, error } = useSessions();
  const [query, setQuery] = useState<SessionQuery>(DEFAULT_QUERY);
  const [shown, setShown] = useState(PAGE_ROWS);
  const options = useMemo(() => facets(all ?? []), [all]);
  const matching = useMemo(() => (all ? filterSessions(all, query) : null), [all, query]);
  const sessions = matching?.slice(0, shown) ?? null;
  const set = (patch: Partial<SessionQuery>) => {
    setQuery((q) => ({ ...q, ...patch }));
    setShown(PAGE_ROWS);
  };
  const sortHead = (key: SortKey, label: string, className?: string) => (
    <th className={className} aria-sort={query.sort === key ? (query.descending ? 'descending' : 'ascending') : undefined}>
      <button
        type="button"
        className="sort"
        aria-pressed={query.sort === key}
        onClick={() => set({ sort: key, descending: query.sort === key ? !query.descending : key !== 'name' })}
        data-testid={`sort-${key}`}
      >
        {label}
        {query.sort === key ? (query.descending ? ' ▼' : ' ▲') : ''}
      </button>
    </th>
  );
  return (
    <div className="page" data-testid="page-sessions">
      <section className="card">
        <div className="card-head">
          <h2>Sessions</h2>
          <a href="#/compare" data-testid="sessions-compare">
            Compare sessions…
          </a>
        </div>
        <ErrorMessage error={error} testId="sessions-error" />
        {sessions === null && !error ? <p className="muted">Loading…</p> : null}
        {all && all.length > 0 ? (
          <form className="sessions-filters" role="search" noValidate onSubmit={(e) => e.preventDefault()} data-testid="sessions-filters">
            <div className="field">
              <label htmlFor="sessions-search">Search</label>
              <input
                id="sessions-search"
                type="search"
                placeholder="name, notes, meter, model…"
                value={query.text}
                onChange={(e) => set({ text: e.target.value })}
                data-testid="sessions-search"
              />
            </div>
            <div className="field">
              <label htmlFor="sessions-kind">Kind</label>
              <select id="sessions-kind" value={query.kind} onChange={(e) => set({ kind: e.target.value as SessionQuery['kind'] })} data-testid="sessions-kind">
                <option value="">Any</option>
                <option value="power">Power</option>
                <option value="profile">Profiling run</option>
              </select>
            </div>
            <AnyOf id="sessions-meter" label="Meter" value={query.meter} options={options.meters} onChange={(meter) => set({ meter })} />
            <AnyOf id="sessions-model" label="Model" value={query.model} options={options.models} onChange={(model) => set({ model })} />
            <div className="field">
              <label htmlFor="sessions-from">From</label>
              <input id="sessions-from" type="date" value={query.from} onChange={(e) => set({ from: e.target.value })} data-testid="sessions-from" />
            </div>
            <div className="field">
              <label htmlFor="sessions-to">To</label>
              <input id="sessions-to" type="date" value={query.to} onChange={(e) => set({ to: e.target.value })} data-testid="sessions-to" />
            </div>
            <span className="muted" data-testid="sessions-count">
              {matching!.length === all.length
                ? `${count(all.length)} session${all.length === 1 ? '' : 's'}`
                : `${count(matching!.length)} of ${count(all.length)} sessions`}
            </span>
          </form>
        ) : null}
        {all && all.length > 0 && matching?.length === 0 ? (
          <p className="muted" data-testid="sessions-none-match">
            No session matches; change the search or the filters.
          </p>
        ) : null}
        {all?.length === 0 ? (
          <p className="muted" data-testid="sessions-empty">
            No sessions yet. Connect a meter on the Meters page and press Record.
          </p>
        ) : null}
        {sessions && sessions.length > 0 ? (
          <div className="table-scroll">
            <table className="sessions-table" data-testid="sessions-table">
              <thead>
                <tr>
                  {sortHead('name', 'Name')}
                  {sortHead('started', 'Started')}
                  {sortHead('duration', 'Duration', 'num')}
                  <th>Meter</th>
                  {sortHead('samples', 'Samples', 'num')}
                  <th className="num">Mean power</th>
                  {sortHead('energy', 'Energy', 'num')}
                  <th className="num">Mean current</th>
                  <th className="num">Charge</th>
                  <th className="num">Gaps</th>
                  <th>Status</th>
                </tr>
              </thead>
              <tbody>
                {sessions.map((s) => (
                  <tr
                    key={s.id}
                    className="clickable"
                    tabIndex={0}
                    onClick={() => navigate({ page: 'session', id: s.id })}
                    onKeyDown={(e) => e.key === 'Enter' && navigate({ page: 'session', id: s.id })}
                    data-testid="session-row"
                    data-session-id={s.id}
                  >
                    <td>
                      <a href={`#/sessions/${s.id}`} data-testid="session-link">
                        {s.name}
                      </a>
                      {s.kind === 'profile' ? (
                        <>
                          {' '}
                          <span className="badge badge-profile" title="A profiling run: the trace and every inference" data-testid="session-kind-profile">
                            PROFILE
                          </span>
                        </>
                      ) : null}
                    </td>
                    <td>{dateTime(s.startedAt)}</td>
                    <td className="num">{duration(s.durationS)}</td>
                    <td className="meter-cell">
                      {s.meter ? (
                        <>
                          {s.meter.label} <SimBadge simulated={s.meter.simulated} />
                          {s.meter.driver === 'import' ? (
                            <span
                              className="badge badge-imported"
                              title="Imported from a file (ddi-profiler import), not recorded by this app"
                              data-testid="imported-badge"
                            >
                              IMPORTED
                            </span>
                          ) : null}
                        </>
                      ) : (
                        '—'
                      )}
                    </td>
                    <td className="num">{count(s.samples)}</td>
                    <td
                      className="num"
                      title={
                        s.powerSource === 'nominal-voltage' && s.nominalVoltageV
                          ? `current × ${s.nominalVoltageV} V (the meter's supply set-point, assumed)`
                          : undefined
                      }
                    >
                      {watts(s.meanPowerW)}
                      {s.powerSource === 'nominal-voltage' ? '*' : ''}
                    </td>
                    <td className="num">
                      {joules(s.energyJ)}
                      {s.powerSource === 'nominal-voltage' ? '*' : ''}
                    </td>
                    <td className="num">{amps(s.meanCurrentA)}</td>
                    <td className="num">{coulombs(s.chargeC)}</td>
                    <td className={`num${s.gaps ? ' warn' : ''}`}>{count(s.gaps)}</td>
                    <td>
                      <span className={`status status-${s.status}`} title={s.statusReason ?? undefined} data-testid="session-row-status">
                        {s.status}
                      </span>
                      {s.statusReason && s.status !== 'complete' ? (
                        <div className="muted status-reason-cell" data-testid="session-row-reason">
                          {s.statusReason}
                        </div>
                      ) : null}
                      {s.damaged ? (
                        <span className="status status-damaged" title={s.damaged} data-testid="session-damaged">
                          {' '}
                          damaged
                        </span>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        {matching && matching.length > shown ? (
          <p className="actions">
            <button type="button" onClick={() => setShown((n) => n + PAGE_ROWS)} data-testid="sessions-more">
              Show {count(Math.min(PAGE_ROWS, matching.length - shown))} more of {count(matching.length - shown)}
            </button>
          </p>
        ) : null}
        {matching?.some((s) => s.powerSource === 'nominal-voltage') ? (
          <p className="small-print muted">* Power from a current-only meter: current × the meter's supply set-point, an assumed voltage.</p>
        ) : null}
      </section>
    </div>
  );
}

/** A filter that is "Any" or one of the values the sessions hold. */
function AnyOf({
  id,
  label,
  value,
  options,
  onChange,
}: {
  id: string;
  label: string;
  value: string;
  options: readonly string[];
  onChange: (v: string) => void;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} data-testid={id}>
        <option value="">Any</option>
        {options.map((m) => (
          <option key={m} value={m}>
            {m}
          </option>
        ))}
      </select>
    </div>
  );
}
