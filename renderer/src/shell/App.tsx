import { useApi, useConnection } from '../api/context';
import { ComparePage } from '../compare/ComparePage';
import { BudgetsPage } from '../budgets/BudgetsPage';
import { CalibratePage } from '../calibrate/CalibratePage';
import { MetersPage } from '../meters/MetersPage';
import { RunPage } from '../run/RunPage';
import { SessionPage } from '../sessions/SessionPage';
import { SessionsPage } from '../sessions/SessionsPage';
import { LiveStateProvider } from './LiveState';
import { routeHref, useRoute, type Route } from './route';
import { StatusBar } from './StatusBar';

const NAV: Array<{ route: Route; label: string; testId: string }> = [
  { route: { page: 'meters' }, label: 'Meters', testId: 'nav-meters' },
  { route: { page: 'sessions' }, label: 'Sessions', testId: 'nav-sessions' },
  { route: { page: 'run' }, label: 'Run', testId: 'nav-run' },
  { route: { page: 'calibrate' }, label: 'Calibrate', testId: 'nav-calibrate' },
  { route: { page: 'budgets' }, label: 'Budgets', testId: 'nav-budgets' },
  { route: { page: 'compare', ids: [] }, label: 'Compare', testId: 'nav-compare' },
];

export function App() {
  const route = useRoute();
  const active = route.page === 'session' ? 'sessions' : route.page;
  return (
    <LiveStateProvider>
      <div className="app">
        <header className="topbar">
          <span className="brand">DDI Profiler</span>
          <nav>
            {NAV.map((n) => (
              <a
                key={n.label}
                href={routeHref(n.route)}
                className={active === n.route.page ? 'active' : undefined}
                aria-current={active === n.route.page ? 'page' : undefined}
                data-testid={n.testId}
              >
                {n.label}
              </a>
            ))}
          </nav>
        </header>
        <ConnectionBanner />
        <main className="content">
          {route.page === 'meters' ? <MetersPage /> : null}
          {route.page === 'sessions' ? <SessionsPage /> : null}
          {route.page === 'session' ? <SessionPage key={route.id} id={route.id} /> : null}
          {route.page === 'run' ? <RunPage /> : null}
          {route.page === 'calibrate' ? <CalibratePage /> : null}
          {route.page === 'budgets' ? <BudgetsPage /> : null}
          {route.page === 'compare' ? <ComparePage ids={route.ids} /> : null}
        </main>
        <StatusBar />
      </div>
    </LiveStateProvider>
  );
}

/** After a few failed attempts, say plainly that the server is gone and what to check. */
function ConnectionBanner() {
  const api = useApi();
  const connection = useConnection();
  if (api.transport !== 'browser' || connection.state === 'open' || connection.failures < 3) return null;
  return (
    <div className="banner" role="alert" data-testid="connection-banner">
      Cannot reach the DDI Profiler server. Is <code>ddi-profiler serve</code> still running? If it was restarted, open the new URL it printed (the token
      changes with every start). Retrying…
    </div>
  );
}
