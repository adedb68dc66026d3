import { ErrorMessage } from '../common/ErrorMessage';
import { count, dateTime, duration, joules, watts } from '../common/format';
import { SimBadge } from '../common/SimBadge';
import { navigate } from '../shell/route';
import { useSessions } from './useSessions';

export function SessionsPage() {
  const { sessions, error } = useSessions();
  return (
    <div className="page" data-testid="page-sessions">
      <section className="card">
        <h2>Sessions</h2>
        <ErrorMessage error={error} testId="sessions-error" />
        {sessions === null && !error ? <p className="muted">Loading…</p> : null}
        {sessions?.length === 0 ? (
          <p className="muted" data-testid="sessions-empty">
            No sessions yet. Connect a meter on the Meters page and press Record.
          </p>
        ) : null}
        {sessions && sessions.length > 0 ? (
          <div className="table-scroll">
          <table className="sessions-table" data-testid="sessions-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Started</th>
                <th className="num">Duration</th>
                <th>Meter</th>
                <th className="num">Samples</th>
                <th className="num">Mean power</th>
                <th className="num">Energy</th>
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
                  <td>
                    {s.meter ? (
                      <>
                        {s.meter.label} <SimBadge simulated={s.meter.simulated} />
                        {s.meter.driver === 'import' ? (
                          <span className="badge badge-imported" title="Imported from a file (ddi-profiler import), not recorded by this app" data-testid="imported-badge">
                            IMPORTED
                          </span>
                        ) : null}
                      </>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td className="num">{count(s.samples)}</td>
                  <td className="num">{watts(s.meanPowerW)}</td>
                  <td className="num">{joules(s.energyJ)}</td>
                  <td className={`num${s.gaps ? ' warn' : ''}`}>{count(s.gaps)}</td>
                  <td>
                    <span className={`status status-${s.status}`}>{s.status}</span>
                    {s.damaged ? (
                      <span className="status status-damaged" title={s.damaged} data-testid="session-damaged">
                        {' '}damaged
                      </span>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          </div>
        ) : null}
      </section>
    </div>
  );
}
