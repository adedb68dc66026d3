/**
 * App-wide live state: the connected meter's status, the recording session and the live windows.
 * Lives above the pages so the status bar and the Meters page agree, and so the live trace keeps
 * its last seconds when the user visits another page and comes back.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { Channel, MeterStatus, SessionSummary } from '../common/types';
import { useApi, useApiEvent, useConnection } from '../api/context';
import { LiveWindow, LogicWindow } from '../meters/liveWindow';
import type { RecordingTotalsDto, TriggerStatusDto } from '../../../main/api/contract';
import { clockElapsedS, nextClock, type RecordingClock } from './recordingClock';

export interface LiveState {
  meter: MeterStatus | null;
  recording: SessionSummary | null;
  windows: Record<Channel, LiveWindow>;
  /** The digital inputs (logic lanes) of a meter that has them. */
  logic: LogicWindow;
  /** Running charge/energy of the recording, from the newest live batch; mutated in place. */
  totals: { current: RecordingTotalsDto | null };
  /** The recording trigger's state (armed, recording, done), or null when none was armed. */
  trigger: TriggerStatusDto | null;
  setTrigger: (t: TriggerStatusDto | null) => void;
  /** Mean of each measured channel over the newest live batch; mutated in place (read on a timer). */
  readings: Partial<Record<Channel, number>>;
  /** Re-reads meter status and recording state (after connect/disconnect/record calls). */
  refresh: () => Promise<void>;
  setMeter: (m: MeterStatus | null) => void;
  setRecording: (s: SessionSummary | null) => void;
  /** Seconds recorded so far at local time `nowMs` (0 when not recording). */
  recordingElapsedS: (nowMs: number) => number;
}

const Ctx = createContext<LiveState | null>(null);

const POLL_MS = 2000;

export function LiveStateProvider({ children }: { children: ReactNode }) {
  const api = useApi();
  const connection = useConnection();
  const [meter, setMeter] = useState<MeterStatus | null>(null);
  const [recording, setRecordingState] = useState<SessionSummary | null>(null);
  const clock = useRef<RecordingClock | null>(null);
  const setRecording = useCallback((s: SessionSummary | null) => {
    clock.current = nextClock(clock.current, s, Date.now());
    setRecordingState(s);
  }, []);
  const recordingElapsedS = useCallback((nowMs: number) => clockElapsedS(clock.current, nowMs), []);
  const windows = useMemo<Record<Channel, LiveWindow>>(
    // Ten minutes of 5 ms buckets per channel: the longest window the live view offers.
    () => ({ power: new LiveWindow(600), current: new LiveWindow(600), voltage: new LiveWindow(600) }),
    [],
  );
  const logic = useMemo(() => new LogicWindow(600), []);
  const totals = useMemo<{ current: RecordingTotalsDto | null }>(() => ({ current: null }), []);
  const [trigger, setTrigger] = useState<TriggerStatusDto | null>(null);

  const readings = useMemo<Partial<Record<Channel, number>>>(() => ({}), []);

  const refresh = useCallback(async () => {
    const [status, sessions, trig] = await Promise.all([api.call('meters.status', {}), api.call('sessions.list', {}), api.call('triggers.status', {})]);
    setMeter(status);
    setTrigger(trig);
    setRecording(sessions.find((s) => s.status === 'recording') ?? null);
  }, [api, setRecording]);

  // Re-sync whenever the transport (re)opens: events sent while disconnected are gone.
  useEffect(() => {
    if (connection.state === 'open') refresh().catch(() => {});
  }, [connection.state, refresh]);

  const lastStatusAt = useRef(0);
  useApiEvent('meter.status', (s) => {
    lastStatusAt.current = Date.now();
    setMeter(s);
    if (!s) {
      for (const w of Object.values(windows)) w.clear();
      logic.clear();
      for (const k of Object.keys(readings) as Channel[]) delete readings[k];
    }
  });
  useApiEvent('session.recording', (s) => setRecording(s));
  useApiEvent('recording.trigger', (t) => setTrigger(t));
  useApiEvent('meter.live', (batch) => {
    // Every channel's buckets when the core sends them (it does since the channel choice), else the one.
    if (batch.channels) {
      for (const ch of ['current', 'voltage', 'power'] as const) {
        const b = batch.channels[ch];
        if (b) windows[ch].push({ ...b, bucketS: batch.bucketS });
      }
    } else windows[batch.channel].push(batch);
    if (batch.digital) logic.push(batch.digital);
    totals.current = batch.recording ?? null;
    Object.assign(readings, batch.latest);
  });

  // The core repeats meter.status while a meter is connected, so counters stay current. Should
  // those stop arriving while a meter is active, ask instead, so the numbers never freeze silently.
  const active = meter !== null && (meter.state === 'streaming' || meter.state === 'connecting');
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => {
      if (Date.now() - lastStatusAt.current < POLL_MS) return;
      api.call('meters.status', {}).then(setMeter, () => {});
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [api, active]);

  const value = useMemo(
    () => ({ meter, recording, windows, logic, totals, trigger, setTrigger, readings, refresh, setMeter, setRecording, recordingElapsedS }),
    [meter, recording, windows, logic, totals, trigger, readings, refresh, setRecording, recordingElapsedS],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useLiveState(): LiveState {
  const v = useContext(Ctx);
  if (!v) throw new Error('useLiveState outside LiveStateProvider');
  return v;
}
