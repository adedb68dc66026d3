import { useApi } from '../api/context';
import { ErrorMessage } from '../common/ErrorMessage';
import { duration } from '../common/format';
import { SimBadge } from '../common/SimBadge';
import { useNow } from '../common/useNow';
import { useLiveState } from '../shell/LiveState';
import { navigate, routeHref } from '../shell/route';
import { elapsedNow, etaNow, progressText } from './profileLogic';
import { ProfileOptions } from './ProfileOptions';
import { paramStore, profileParams, useProfileParams } from './profileParams';
import { profileStore, useProfileState, type ProfileInput } from './profileStore';
import './profile.css';

type FormInput = Omit<ProfileInput, 'warmup' | 'baselineS'>;

/** A meter that can record now (connected, not failed). */
function meterUsable(meter: ReturnType<typeof useLiveState>['meter']): boolean {
  return meter !== null && meter.state !== 'error' && meter.state !== 'closed';
}

/**
 * The Profile button beside Run: the form's model, mode, budget and number of images, measured
 * with the connected meter. At the end the result opens (if the Run page is still in view).
 */
export function ProfileButton({ input, inputError, disabled }: { input: FormInput | null; inputError: string | null; disabled: boolean }) {
  const api = useApi();
  const { meter } = useLiveState();
  const state = useProfileState();
  const params = useProfileParams();
  const start = () => {
    profileStore.clear();
    if (!input) return profileStore.refuse(inputError ?? 'Fix the form first.');
    const p = profileParams(params, input?.budget !== undefined);
    if ('error' in p) return profileStore.refuse(p.error);
    void profileStore.start(api, { ...input, ...p.params }, (sessionId) => {
      if (window.location.hash.startsWith(routeHref({ page: 'run' }))) navigate({ page: 'session', id: sessionId });
    });
  };
  return (
    <button
      type="button"
      className="primary"
      onClick={start}
      disabled={disabled || state.running !== null || !meterUsable(meter)}
      title={meterUsable(meter) ? `Measure with ${meter!.label}` : 'Connect a meter on the Meters page first'}
      data-testid="profile-submit"
    >
      {state.running ? 'Profiling…' : 'Profile'}
    </button>
  );
}

/** Which meter Profile uses (or where to connect one), the run's settings, progress with Cancel, and how it ended. */
export function ProfilePanel({ model }: { model: string }) {
  const api = useApi();
  const { meter } = useLiveState();
  const state = useProfileState();
  const params = useProfileParams();
  const running = state.running;
  const now = useNow(running !== null, 250);
  const eta = running?.progress ? etaNow(running.progress, running.receivedAtMs, now) : null;
  const elapsed = running ? (running.progress ? elapsedNow(running.progress, running.receivedAtMs, now) : (now - running.receivedAtMs) / 1000) : 0;
  return (
    <section className="card profile-controls" data-testid="profile-panel">
      <h2>Profiling</h2>
      {meter ? (
        <p className="profile-meter" data-testid="profile-meter" data-state={meter.state}>
          Meter: <strong>{meter.label}</strong> <span className="muted">({meter.spec})</span> <SimBadge simulated={meter.simulated} />
          {!meterUsable(meter) ? <span className="field-error"> {meter.message ?? `The meter is ${meter.state}.`}</span> : null}
        </p>
      ) : (
        <p className="note" data-testid="profile-no-meter">
          No meter is connected; connect one on the <a href={routeHref({ page: 'meters' })}>Meters page</a> to profile.
        </p>
      )}
      <p className="help">
        Profile runs the form’s model, mode, budget and images one at a time while the meter records (warm-up, idle baseline, alignment pattern, inferences,
        closing idle) and measures the energy of each inference.
      </p>
      <div className="profile-params">
        <div className="field">
          <label htmlFor="profile-warmup">Warm-up inferences</label>
          <input
            id="profile-warmup"
            type="number"
            min={0}
            step={1}
            value={params.warmup}
            disabled={running !== null}
            onChange={(e) => paramStore.set({ warmup: e.target.value })}
            data-testid="profile-warmup"
          />
        </div>
        <div className="field">
          <label htmlFor="profile-baseline">Idle baseline (s)</label>
          <input
            id="profile-baseline"
            type="number"
            min={0.2}
            step="any"
            value={params.baselineS}
            disabled={running !== null}
            onChange={(e) => paramStore.set({ baselineS: e.target.value })}
            data-testid="profile-baseline"
          />
        </div>
      </div>
      <ProfileOptions model={model} disabled={running !== null} />
      {running ? (
        <div
          className="profile-progress"
          data-testid="profile-progress"
          data-phase={running.progress?.phase ?? 'starting'}
          data-session-id={running.sessionId ?? ''}
        >
          <div>
            <strong data-testid="profile-phase">{running.progress ? progressText(running.progress) : 'Starting…'}</strong>
            <span className="muted" data-testid="profile-times">
              {' '}
              · elapsed {duration(elapsed)} · ETA {eta === null ? '—' : duration(eta)}
            </span>
          </div>
          {running.progress && running.progress.total > 0 ? <progress max={running.progress.total} value={running.progress.done} /> : null}
          <div className="actions">
            <button type="button" className="danger" onClick={() => void profileStore.cancel(api)} disabled={running.cancelling} data-testid="profile-cancel">
              {running.cancelling ? 'Cancelling…' : 'Cancel'}
            </button>
            {running.sessionId !== null ? (
              <a href={routeHref({ page: 'session', id: running.sessionId })} className="small-print">
                session {running.sessionId}
              </a>
            ) : null}
          </div>
        </div>
      ) : null}
      {state.error ? (
        <>
          <ErrorMessage error={state.error.error} testId="profile-error" />
          {state.error.sessionId !== null ? (
            <p className="small-print">
              The run so far is kept: <a href={routeHref({ page: 'session', id: state.error.sessionId })}>open session {state.error.sessionId}</a>.
            </p>
          ) : null}
        </>
      ) : null}
      {state.finished ? (
        <p className="small-print" data-testid="profile-finished">
          Last profile: <a href={routeHref({ page: 'session', id: state.finished.sessionId })}>open session {state.finished.sessionId}</a>.
        </p>
      ) : null}
    </section>
  );
}
