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
        <main className="content">
          {route.page === 'meters' ? <MetersPage /> : null}
          {route.page === 'sessions' ? <SessionsPage /> : null}
          {route.page === 'session' ? <SessionPage key={route.id} id={route.id} /> : null}
          {route.page === 'run' ? <RunPage /> : null}
        </main>
        <StatusBar />
      </div>
    </LiveStateProvider>
  );
}
