import { useCallback, useEffect, useState } from 'react';
import { useApi, useApiEvent } from '../api/context';
import type { SessionSummary } from '../common/types';

/** The session list, re-read whenever a recording starts or stops. */
export function useSessions() {
  const api = useApi();
  const [sessions, setSessions] = useState<SessionSummary[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const reload = useCallback(() => {
    api.call('sessions.list', {}).then((list) => {
      setSessions(list);
      setError(null);
    }, setError);
  }, [api]);
  useEffect(reload, [reload]);
  // The core repeats the recording session's summary while it records (growing duration and
  // samples): patch that row in place; a null (recording stopped) means re-read the final list.
  useApiEvent('session.recording', (rec) => {
    if (!rec) return reload();
    setSessions((list) => {
      if (!list) return list;
      const i = list.findIndex((s) => s.id === rec.id);
      if (i < 0) return [rec, ...list];
      const next = list.slice();
      next[i] = rec;
      return next;
    });
  });
  return { sessions, error, reload };
}
