import { useCallback, useEffect, useState } from 'react';
import { useApi, useApiEvent } from '../api/context';
import type { SessionSummary } from '../common/types';

/** The session list, re-read whenever a recording starts or stops. */
export function useSessions() {
  const api = useApi();
  const [sessions, setSessions] = useState<SessionSummary[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const reload = useCallback(() => {
    api.call('sessions.list', {}).then(
      (list) => {
        setSessions(list);
        setError(null);
      },
      setError,
    );
  }, [api]);
  useEffect(reload, [reload]);
  useApiEvent('session.recording', reload);
  return { sessions, error, reload };
}
