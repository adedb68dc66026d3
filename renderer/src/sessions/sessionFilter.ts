import type { SessionSummary } from '../common/types';

export type SortKey = 'started' | 'name' | 'duration' | 'energy' | 'samples';

export interface SessionQuery {
  /** Words that must all appear in the name, notes, meter, model or status reason (any case). */
  text: string;
  kind: '' | 'power' | 'profile';
  /** Meter label ('' = any). */
  meter: string;
  /** Model ('' = any). */
  model: string;
  /** Local dates, YYYY-MM-DD, inclusive ('' = open). */
  from: string;
  to: string;
  sort: SortKey;
  descending: boolean;
}

export const DEFAULT_QUERY: SessionQuery = { text: '', kind: '', meter: '', model: '', from: '', to: '', sort: 'started', descending: true };

const localDay = (iso: string): string => {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
};

/** The sessions that match, in the asked order (ties by id, newest first). */
export function filterSessions(list: readonly SessionSummary[], q: SessionQuery): SessionSummary[] {
  const words = q.text.toLowerCase().split(/\s+/).filter(Boolean);
  const out = list.filter((s) => {
    if (q.kind && s.kind !== q.kind) return false;
    if (q.meter && (s.meter?.label ?? '') !== q.meter) return false;
    if (q.model && (s.model ?? '') !== q.model) return false;
    if (q.from || q.to) {
      const day = localDay(s.startedAt);
      if (q.from && day < q.from) return false;
      if (q.to && day > q.to) return false;
    }
    if (words.length > 0) {
      const hay = [s.name, s.notes, s.meter?.label, s.meter?.spec, s.model, s.statusReason, s.status, String(s.id)].join('\n').toLowerCase();
      if (!words.every((w) => hay.includes(w))) return false;
    }
    return true;
  });
  const key = (s: SessionSummary): number | string => {
    switch (q.sort) {
      case 'name':
        return s.name.toLowerCase();
      case 'duration':
        return s.durationS;
      case 'energy':
        return s.energyJ ?? -Infinity;
      case 'samples':
        return s.samples;
      default:
        return s.startedAt;
    }
  };
  const dir = q.descending ? -1 : 1;
  return out.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    if (ka < kb) return -dir;
    if (ka > kb) return dir;
    return b.id - a.id;
  });
}

/** The distinct meters and models in the list, for the filter menus. */
export function facets(list: readonly SessionSummary[]): { meters: string[]; models: string[] } {
  const meters = new Set<string>();
  const models = new Set<string>();
  for (const s of list) {
    if (s.meter) meters.add(s.meter.label);
    if (s.model) models.add(s.model);
  }
  return { meters: [...meters].sort(), models: [...models].sort() };
}
