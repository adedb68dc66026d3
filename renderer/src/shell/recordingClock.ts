import type { SessionSummary } from '../common/types';

/**
 * The stopwatch runs on this machine's clock from the first summary seen for a session (its
 * durationS at that moment), never from `startedAt`: in browser mode over an SSH tunnel the core's
 * clock may differ from the viewer's, and a per-summary rebase would make the display jump back.
 */
export interface RecordingClock {
  id: number;
  baseS: number;
  atMs: number;
}

export function nextClock(prev: RecordingClock | null, s: SessionSummary | null, nowMs: number): RecordingClock | null {
  if (!s) return null;
  if (prev && prev.id === s.id) return prev;
  return { id: s.id, baseS: s.durationS, atMs: nowMs };
}

export function clockElapsedS(clock: RecordingClock | null, nowMs: number): number {
  return clock ? clock.baseS + Math.max(0, nowMs - clock.atMs) / 1000 : 0;
}
