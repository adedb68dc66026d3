import { useEffect, useState } from 'react';

/**
 * Hash routes (#/meters, #/sessions/12): they work unchanged from Electron's packaged files and
 * from the browser-mode server, and leave the `?token=` query of the served page alone.
 */
export type Route =
  | { page: 'meters' }
  | { page: 'sessions' }
  | { page: 'session'; id: number }
  | { page: 'run' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, '').replace(/\/+$/, '');
  const [first, second] = path.split('/');
  if (first === 'sessions' && second !== undefined) {
    const id = Number(second);
    if (Number.isInteger(id) && id > 0) return { page: 'session', id };
    return { page: 'sessions' };
  }
  if (first === 'sessions') return { page: 'sessions' };
  if (first === 'run') return { page: 'run' };
  return { page: 'meters' };
}

export function routeHref(route: Route): string {
  return route.page === 'session' ? `#/sessions/${route.id}` : `#/${route.page}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function navigate(route: Route): void {
  window.location.hash = routeHref(route);
}
