import { useEffect, useState } from 'react';
import { amps, count, volts, watts } from '../common/format';
import { SimBadge } from '../common/SimBadge';
import type { Channel } from '../common/types';
import { useLiveState } from '../shell/LiveState';
import { LiveChart } from './LiveChart';
import './meters.css';
import type { LiveWindow } from './liveWindow';

const READING_MS = 250;

/**
 * Mean of each channel over the newest live batch, re-read a few times a second: fast enough to
 * follow, slow enough to read without flicker.
 */
function useReadings(windows: Record<Channel, LiveWindow>, latest: Partial<Record<Channel, number>>) {
  const [r, setR] = useState<Partial<Record<Channel, number>> & { received: number }>({ received: 0 });
  useEffect(() => {
    const t = setInterval(() => {
      setR({
        ...latest,
        received: windows.power.received + windows.current.received + windows.voltage.received,
      });
    }, READING_MS);
    return () => clearInterval(t);
  }, [windows, latest]);
  return r;
}

/** Window lengths offered for the live trace (the wheel zooms anywhere between 10 ms and 10 min). */
export const SPANS_S = [1, 5, 10, 30, 60, 300, 600];
const UNIT: Record<Channel, string> = { power: 'W', current: 'A', voltage: 'V' };

export function LivePanel() {
  const { meter, windows, logic, readings: latest } = useLiveState();
  const readings = useReadings(windows, latest);
  const [chosen, setChosen] = useState<Channel | null>(null);
  const [paused, setPaused] = useState(false);
  const [spanS, setSpanS] = useState(10);
  const [log, setLog] = useState(false);
  // Power by default; a meter without a power channel falls back to current; the user may choose.
  const defaultChannel: Channel = meter && !meter.channels.includes('power') && meter.channels.includes('current') ? 'current' : 'power';
  const channel: Channel = chosen && (!meter || meter.channels.includes(chosen)) ? chosen : defaultChannel;
  const unit = UNIT[channel];
  const hasLogic = logic.names.length > 0;

  return (
    <section className="card live" data-testid="live-panel">
      <div className="card-head">
        <h2>Live</h2>
        {meter ? (
          <span className="meter-name" data-testid="live-meter">
            {meter.label} <SimBadge simulated={meter.simulated} />{' '}
            <span className={`state state-${meter.state}`} data-testid="meter-state">
              {meter.state}
            </span>
          </span>
        ) : (
          <span className="muted" data-testid="meter-state">
            no meter connected
          </span>
        )}
      </div>
      {meter?.message ? (
        meter.state === 'error' ? (
          <p className="error" role="alert" data-testid="meter-status-error">
            {meter.message}
          </p>
        ) : (
          <p className="note" data-testid="meter-status-message">
            {meter.message}
          </p>
        )
      ) : null}
      {meter?.simulated ? (
        <p className="sim-note" data-testid="sim-note">
          Simulated meter: the trace follows this app's CPU use. It is not a measurement.
        </p>
      ) : null}

      <div className="readings">
        <Reading label="Power" value={watts(readings.power)} testId="reading-power" />
        <Reading label="Current" value={amps(readings.current)} testId="reading-current" />
        <Reading label="Voltage" value={volts(readings.voltage)} testId="reading-voltage" />
      </div>

      <div className="live-toolbar" data-testid="live-toolbar">
        <button type="button" onClick={() => setPaused((p) => !p)} aria-pressed={paused} data-testid="live-pause">
          {paused ? 'Resume' : 'Pause'}
        </button>
        <label>
          Window{' '}
          <select value={spanS} onChange={(e) => setSpanS(Number(e.target.value))} data-testid="live-span-select">
            {SPANS_S.map((s) => (
              <option key={s} value={s}>
                {s >= 60 ? `${s / 60} min` : `${s} s`}
              </option>
            ))}
          </select>
        </label>
        <label>
          Channel{' '}
          <select value={channel} onChange={(e) => setChosen(e.target.value as Channel)} data-testid="live-channel">
            {(meter?.channels ?? ['power']).map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </label>
        <label>
          <input type="checkbox" checked={log} onChange={(e) => setLog(e.target.checked)} data-testid="live-log" /> log axis
        </label>
        {paused ? (
          <span className="note" data-testid="live-paused">
            Display paused; recording and readouts go on.
          </span>
        ) : null}
      </div>
      <LiveChart
        window={windows[channel]}
        logic={hasLogic ? logic : null}
        unit={unit}
        log={log}
        paused={paused}
        spanS={spanS}
        onDetach={() => setPaused(true)}
      />

      <dl className="counters" data-testid="counters">
        <Counter label="Samples" value={meter?.counters.samples} testId="counter-samples" />
        <Counter label="Lost" value={meter?.counters.lostSamples} testId="counter-lost" warn />
        <Counter label="Gaps" value={meter?.counters.gaps} testId="counter-gaps" warn />
        <Counter label="Bad frames" value={meter?.counters.badFrames} testId="counter-bad-frames" warn />
        <Counter label="Reconnects" value={meter?.counters.reconnects} testId="counter-reconnects" warn />
        <Counter label="Live buckets" value={readings.received} testId="counter-live-buckets" />
      </dl>
      <p className="muted small-print">
        {meter ? `${count(meter.sampleRateHz)} S/s · channels: ${meter.channels.join(', ')}` : 'Connect a meter to see its trace.'}
      </p>
    </section>
  );
}

function Reading({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="reading">
      <div className="reading-label">{label}</div>
      <div className="reading-value" data-testid={testId}>
        {value}
      </div>
    </div>
  );
}

function Counter({ label, value, testId, warn }: { label: string; value: number | undefined; testId: string; warn?: boolean }) {
  return (
    <div className={`counter${warn && value ? ' counter-warn' : ''}`}>
      <dt>{label}</dt>
      <dd data-testid={testId} data-value={value ?? ''}>
        {count(value)}
      </dd>
    </div>
  );
}
