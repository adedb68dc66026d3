import { useEffect, useState } from 'react';

/**
 * Hash routes (#/meters, #/sessions/12): they work unchanged from Electron's packaged files and
 * from the browser-mode server, and leave the `?token=` query of the served page alone.
 */
export type Route =
  | { page: 'meters' }
  | { page: 'sessions' }
  | { page: 'session'; id: number }
  | { page: 'run' }
  | { page: 'budgets' }
  | { page: 'calibrate' }
  /** Sessions to compare, in the order picked (#/compare/3,7). */
  | { page: 'compare'; ids: number[] };

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
  if (first === 'budgets') return { page: 'budgets' };
  if (first === 'calibrate') return { page: 'calibrate' };
  if (first === 'compare') return { page: 'compare', ids: parseIdList(second ?? '') };
  return { page: 'meters' };
}

/** "3,7,3,x" → [3, 7]: positive whole ids, each once, anything else dropped. */
export function parseIdList(text: string): number[] {
  const ids = text
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
  return [...new Set(ids)];
}

export function routeHref(route: Route): string {
  if (route.page === 'session') return `#/sessions/${route.id}`;
  if (route.page === 'compare') return route.ids.length ? `#/compare/${route.ids.join(',')}` : '#/compare';
  return `#/${route.page}`;
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
