/**
 * The calibration in flight and the last result, outside React: leaving the Calibrate page keeps
 * the calibration followed, and its end is seen on return.
 */
import { useSyncExternalStore } from 'react';
import type { CalibrationProgressDto, CallInput } from '../../../main/api/contract';
import type { RendererApi } from '../api';
import type { CalibrationResultView } from './calibrateForm';

export interface CalibrateState {
  running: { input: CallInput<'calibrate.start'>; progress: CalibrationProgressDto | null; receivedAtMs: number; cancelling: boolean } | null;
  result: CalibrationResultView | null;
  /** The model id the result was calibrated for, as the model list names it. */
  resultModel: string | null;
  error: unknown;
  /** How the last calibration ended when it did not finish (cancelled or failed): one sentence. */
  ended: { phase: 'failed' | 'cancelled'; message: string; sessionId: number | null } | null;
}

export function createCalibrateStore(now: () => number = Date.now) {
  let state: CalibrateState = { running: null, result: null, resultModel: null, error: null, ended: null };
  const listeners = new Set<() => void>();
  const set = (next: Partial<CalibrateState>) => {
    state = { ...state, ...next };
    for (const l of listeners) l();
  };
  return {
    get: (): CalibrateState => state,
    subscribe(l: () => void): () => void {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    async start(api: Pick<RendererApi, 'call' | 'on'>, input: CallInput<'calibrate.start'>): Promise<void> {
      if (state.running) return;
      set({ running: { input, progress: null, receivedAtMs: now(), cancelling: false }, error: null, ended: null, result: null });
      // Listen before asking: the first progress can arrive before the answer.
      const off = api.on('calibrate.progress', (p) => {
        if (!state.running) return;
        if (p.phase === 'done') {
          off();
          set({ running: null, result: (p.result ?? null) as unknown as CalibrationResultView | null, resultModel: input.model });
        } else if (p.phase === 'failed' || p.phase === 'cancelled') {
          off();
          set({ running: null, ended: { phase: p.phase, message: p.message ?? 'The calibration stopped.', sessionId: p.sessionId } });
        } else {
          set({ running: { ...state.running, progress: p, receivedAtMs: now() } });
        }
      });
      try {
        await api.call('calibrate.start', input);
      } catch (e) {
        off();
        set({ running: null, error: e });
      }
    },
    async cancel(api: Pick<RendererApi, 'call'>): Promise<void> {
      if (!state.running || state.running.cancelling) return;
      set({ running: { ...state.running, cancelling: true } });
      try {
        await api.call('calibrate.cancel', {});
      } catch (e) {
        if (state.running) set({ running: { ...state.running, cancelling: false }, error: e });
      }
    },
    refuse(error: unknown): void {
      set({ error });
    },
    clearError(): void {
      if (state.error) set({ error: null });
    },
  };
}

export type CalibrateStore = ReturnType<typeof createCalibrateStore>;
export const calibrateStore = createCalibrateStore();

export function useCalibrateState(): CalibrateState {
  return useSyncExternalStore(calibrateStore.subscribe, calibrateStore.get, calibrateStore.get);
}
