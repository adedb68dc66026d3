import { useState } from 'react';
import { useApi } from '../api/context';
import { ErrorMessage } from '../common/ErrorMessage';
import { useLiveState } from '../shell/LiveState';
import type { TriggerStatusDto } from '../../../main/api/contract';

/** A number of milliseconds from 0 to maxMs, or the one sentence saying what is wrong. */
export function parseMs(text: string, what: string, maxMs: number): number | string {
  const t = text.trim();
  if (t === '') return 0;
  const v = Number(t);
  if (!Number.isFinite(v) || v < 0 || v > maxMs) return `The ${what} must be a number of milliseconds from 0 to ${maxMs}.`;
  return v;
}

/** One line for the trigger's state. */
export function triggerLine(t: TriggerStatusDto): string {
  const stop = t.stop ? `, stops on ${t.stop}` : '';
  switch (t.phase) {
    case 'armed':
      return `Armed: waiting for ${t.start}${t.holdoffS ? ` (hold-off ${t.holdoffS * 1000} ms)` : ''}${stop}.`;
    case 'recording':
      return t.start
        ? `Triggered on ${t.start}: session ${t.sessionId} recording from ${((t.triggerAtS ?? 0) * 1000).toFixed(1)} ms before the crossing${stop}.`
        : `Recording session ${t.sessionId}${stop}.`;
    case 'done':
      return t.sessionId === null ? 'Disarmed.' : `Session ${t.sessionId} ${t.stopAtS !== null ? `stopped on ${t.stop}` : 'ended'}.`;
    case 'failed':
      return t.message ?? 'The trigger failed.';
  }
}

/** Arm a recording trigger: start and/or stop on a level crossing or a digital-input edge. */
export function TriggerControls() {
  const api = useApi();
  const { meter, recording, trigger, setTrigger } = useLiveState();
  const [start, setStart] = useState('');
  const [stop, setStop] = useState('');
  const [holdoff, setHoldoff] = useState('0');
  const [pretrigger, setPretrigger] = useState('0');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const holdoffMs = parseMs(holdoff, 'hold-off', 3_600_000);
  const pretriggerMs = parseMs(pretrigger, 'pre-trigger', 10_000);
  const active = trigger?.phase === 'armed' || trigger?.phase === 'recording';

  const arm = async () => {
    if (typeof holdoffMs === 'string' || typeof pretriggerMs === 'string') return;
    setBusy(true);
    setError(null);
    try {
      setTrigger(
        await api.call('triggers.arm', {
          start: start.trim() || null,
          stop: stop.trim() || null,
          holdoffS: holdoffMs / 1000,
          pretriggerS: pretriggerMs / 1000,
        }),
      );
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const disarm = async () => {
    setBusy(true);
    try {
      setTrigger(await api.call('triggers.disarm', {}));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card trigger" data-testid="trigger-controls">
      <h2>Trigger</h2>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void arm();
        }}
      >
        <div className="trigger-grid">
          <label className="field">
            Start on
            <input value={start} placeholder="power>0.5W · current<10mA · D3 rising" onChange={(e) => setStart(e.target.value)} data-testid="trigger-start" />
          </label>
          <label className="field">
            Stop on
            <input value={stop} placeholder="power<0.1W (optional)" onChange={(e) => setStop(e.target.value)} data-testid="trigger-stop" />
          </label>
          <label className="field">
            Hold-off (ms)
            <input
              value={holdoff}
              inputMode="decimal"
              onChange={(e) => setHoldoff(e.target.value)}
              aria-invalid={typeof holdoffMs === 'string'}
              data-testid="trigger-holdoff"
            />
            {typeof holdoffMs === 'string' ? <span className="field-error">{holdoffMs}</span> : null}
          </label>
          <label className="field">
            Pre-trigger (ms)
            <input
              value={pretrigger}
              inputMode="decimal"
              onChange={(e) => setPretrigger(e.target.value)}
              aria-invalid={typeof pretriggerMs === 'string'}
              data-testid="trigger-pretrigger"
            />
            {typeof pretriggerMs === 'string' ? <span className="field-error">{pretriggerMs}</span> : null}
          </label>
        </div>
        {active ? (
          <button type="button" onClick={() => void disarm()} disabled={busy} data-testid="trigger-disarm">
            Disarm
          </button>
        ) : (
          <button type="submit" className="primary" disabled={busy || meter?.state !== 'streaming' || recording !== null} data-testid="trigger-arm">
            Arm
          </button>
        )}
      </form>
      {trigger ? (
        <p className={`note trigger-${trigger.phase}`} data-testid="trigger-state" data-phase={trigger.phase}>
          {triggerLine(trigger)}
        </p>
      ) : null}
      <ErrorMessage error={error} testId="trigger-error" />
    </section>
  );
}
