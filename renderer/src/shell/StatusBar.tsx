import { useEffect, useState } from 'react';
import { useApi, useConnection } from '../api/context';
import { stopwatch } from '../common/format';
import { SimBadge } from '../common/SimBadge';
import type { AppInfo } from '../common/types';
import { useNow } from '../common/useNow';
import { useLiveState } from './LiveState';

/** Always visible: which meter is connected (SIMULATED shown loudly), recording, core connection. */
export function StatusBar() {
  const api = useApi();
  const connection = useConnection();
  const { meter, recording, recordingElapsedS } = useLiveState();
  const [info, setInfo] = useState<AppInfo | null>(null);
  const now = useNow(recording !== null, 500);

  useEffect(() => {
    if (connection.state === 'open' && !info) api.call('app.info', {}).then(setInfo, () => {});
  }, [api, connection.state, info]);

  return (
    <footer className="statusbar" data-testid="statusbar">
      <span className="sb-item" data-testid="status-meter">
        {meter && meter.state !== 'closed' ? (
          <>
            <span className={`dot dot-${meter.state}`} aria-hidden="true" />
            {meter.label} · {meter.state} <SimBadge simulated={meter.simulated} />
          </>
        ) : (
          <span className="muted">No meter</span>
        )}
      </span>
      <span className="sb-item" data-testid="status-recording">
        {recording ? (
          <span className="rec">
            <span className="rec-dot" aria-hidden="true" /> REC {recording.name}
            {` · ${stopwatch(recordingElapsedS(now))}`}
          </span>
        ) : (
          <span className="muted">Not recording</span>
        )}
      </span>
      <span className="spacer" />
      <span className="sb-item" data-testid="status-connection" data-state={connection.state}>
        {connectionText(api.transport, connection.state, connection.failures)}
      </span>
      {info ? (
        <span className="sb-item muted" title={info.databasePath}>
          {info.name} {info.version}
        </span>
      ) : null}
    </footer>
  );
}

function connectionText(transport: 'electron' | 'browser', state: string, failures: number): string {
  if (transport === 'electron') return 'Desktop app';
  if (state === 'open') return 'Browser mode · connected';
  if (failures >= 3) return 'Browser mode · disconnected, retrying…';
  return state === 'connecting' ? 'Browser mode · connecting…' : 'Browser mode · reconnecting…';
}
