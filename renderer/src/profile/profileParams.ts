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
  dataset: 'sample' | 'fashion-mnist';
  /** Names of stored budgets to check. */
  checks: string[];
  /** A calibrated table's name; '' = the model's analytic (and profiled latency) tables. */
  costTable: string;
  /** Percent below the nominal hard budget the engine enforces. */
  marginPct: string;
  /** '' = the fastest available. */
  backend: '' | 'ort' | 'tensorflow' | 'wasm' | 'cpu';
}

export const BACKENDS: Array<{ value: ProfileParamValues['backend']; label: string }> = [
  { value: '', label: 'Fastest available' },
  { value: 'ort', label: 'ort (ONNX Runtime)' },
  { value: 'wasm', label: 'wasm (TensorFlow.js)' },
  { value: 'cpu', label: 'cpu (TensorFlow.js, plain JavaScript)' },
  { value: 'tensorflow', label: 'tensorflow (tfjs-node)' },
];

export const MAX_MARGIN_PCT = 89;

export const MAX_WARMUP = 10_000;
export const MIN_BASELINE_S = 0.2;
export const MAX_BASELINE_S = 600;

/** The settings as `profile.start` fields, or the first problem as one sentence (the core's limits). */
export type ProfileParams = Pick<CallInput<'profile.start'>, 'warmup' | 'baselineS' | 'dataset' | 'checks' | 'costTable' | 'margin' | 'backend'>;

export function profileParams(v: ProfileParamValues, hasBudget = true): { params: ProfileParams } | { error: string } {
  const w = v.warmup.trim();
  if (!/^\d+$/.test(w) || Number(w) > MAX_WARMUP) return { error: `Warm-up inferences must be a whole number from 0 to ${MAX_WARMUP}.` };
  const b = v.baselineS.trim();
  const bs = Number(b);
  if (b === '' || !Number.isFinite(bs) || bs < MIN_BASELINE_S || bs > MAX_BASELINE_S) {
    return { error: `The idle baseline must be from ${MIN_BASELINE_S} s to ${MAX_BASELINE_S} s.` };
  }
  const m = v.marginPct.trim();
  const margin = m === '' ? 0 : Number(m);
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(m === '' ? '0' : m) || !(margin >= 0 && margin <= MAX_MARGIN_PCT)) {
    return { error: `The margin must be a percentage from 0 to ${MAX_MARGIN_PCT}.` };
  }
  if (margin > 0 && !hasBudget) return { error: 'A margin shrinks a hard budget; choose mode radi or ddi with a budget, or set the margin to 0.' };
  return {
    params: {
      warmup: Number(w),
      baselineS: bs,
      dataset: v.dataset,
      ...(v.checks.length ? { checks: [...v.checks] } : {}),
      ...(v.costTable ? { costTable: v.costTable } : {}),
      ...(margin > 0 ? { margin: margin / 100 } : {}),
      ...(v.backend ? { backend: v.backend } : {}),
    },
  };
}

export const DEFAULT_PROFILE_PARAMS: ProfileParamValues = {
  warmup: '20',
  baselineS: '2',
  dataset: 'sample',
  checks: [],
  costTable: '',
  marginPct: '0',
  backend: '',
};

let values: ProfileParamValues = DEFAULT_PROFILE_PARAMS;
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
