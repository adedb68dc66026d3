import { useEffect, useMemo, useState } from 'react';
import { useApi } from '../api/context';
import { ErrorMessage } from '../common/ErrorMessage';
import type { Channel, SessionSummary } from '../common/types';
import { TraceChart, type TraceOverlay } from '../sessions/TraceChart';
import { phaseBands, shadingIntervals, traceShift, type ProfileDetails } from './profileLogic';
import { ProfileResultView } from './ProfileResultView';

/**
 * A session of kind 'profile': its trace with every inference's window shaded in its exit's
 * colour and the run's phases marked, then the analysis. Re-read when the recording ends.
 */
export function ProfileSession({ session, channel }: { session: SessionSummary; channel: Channel }) {
  const api = useApi();
  const [details, setDetails] = useState<ProfileDetails | null>(null);
  const [error, setError] = useState<unknown>(null);
  const recording = session.status === 'recording';
  useEffect(() => {
    let live = true;
    api.call('profile.get', { id: session.id }).then(
      (d) => {
        if (!live) return;
        setDetails(d);
        setError(null);
      },
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [api, session.id, recording]);

  const overlay = useMemo<TraceOverlay | undefined>(() => {
    if (!details) return undefined;
    const shift = traceShift(details.result?.alignment);
    return { windows: shadingIntervals(details.inferences, shift), bands: phaseBands(details.phases, shift, session.durationS) };
  }, [details, session.durationS]);

  return (
    <>
      {session.samples > 0 ? (
        <TraceChart sessionId={session.id} durationS={session.durationS} channel={channel} overlay={overlay} />
      ) : (
        <p className="muted">This session has no samples to draw.</p>
      )}
      {details && details.inferences.length > 0 ? (
        <p className="muted small-print" data-testid="shading-note" data-windows={overlay?.windows.length ?? 0}>
          Each inference’s window is shaded in the colour of its exit; grey bands mark the run’s phases.
        </p>
      ) : null}
      <ErrorMessage error={error} testId="profile-error" />
      {details ? <ProfileResultView details={details} /> : error ? null : <p className="muted">Loading the profiling result…</p>}
    </>
  );
}
