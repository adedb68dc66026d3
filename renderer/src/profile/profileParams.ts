/**
 * The profiling run's own settings (warm-up count, idle baseline) as typed, their check before
 * anything is sent, and where they live between renders (module scope, like the Run form's
 * values, so leaving the page keeps them).
 */
import { useSyncExternalStore } from 'react';
import type { CallInput } from '../../../main/api/contract';

export interface ProfileParamValues {
  warmup: string;
  baselineS: string;
}

export const MAX_WARMUP = 10_000;
export const MIN_BASELINE_S = 0.2;
export const MAX_BASELINE_S = 600;

/** The settings as `profile.start` fields, or the first problem as one sentence (the core's limits). */
export function profileParams(v: ProfileParamValues): { params: Pick<CallInput<'profile.start'>, 'warmup' | 'baselineS'> } | { error: string } {
  const w = v.warmup.trim();
  if (!/^\d+$/.test(w) || Number(w) > MAX_WARMUP) return { error: `Warm-up inferences must be a whole number from 0 to ${MAX_WARMUP}.` };
  const b = v.baselineS.trim();
  const bs = Number(b);
  if (b === '' || !Number.isFinite(bs) || bs < MIN_BASELINE_S || bs > MAX_BASELINE_S) {
    return { error: `The idle baseline must be from ${MIN_BASELINE_S} s to ${MAX_BASELINE_S} s.` };
  }
  return { params: { warmup: Number(w), baselineS: bs } };
}

let values: ProfileParamValues = { warmup: '20', baselineS: '2' };
const listeners = new Set<() => void>();

export const paramStore = {
  get: (): ProfileParamValues => values,
  set(patch: Partial<ProfileParamValues>): void {
    values = { ...values, ...patch };
    for (const l of listeners) l();
  },
  subscribe(l: () => void): () => void {
    listeners.add(l);
    return () => listeners.delete(l);
  },
};

export function useProfileParams(): ProfileParamValues {
  return useSyncExternalStore(paramStore.subscribe, paramStore.get, paramStore.get);
}
