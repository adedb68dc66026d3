/**
 * The Run page's state that must outlive the page: the last few runs (to compare), the run in
 * flight and its error. Kept outside React so leaving for the Meters page and coming back loses
 * neither a finished run nor one still running (its result lands here whenever it arrives).
 */
import { useSyncExternalStore } from 'react';
import type { InferenceRun, ModelSummaryDto } from '../../../main/api/contract';
import type { RendererApi } from '../api';
import type { RunInput } from './runForm';

export const KEEP_RUNS = 6;

export interface RunEntry {
  /** Increasing per page load; React key and selection handle. */
  seq: number;
  input: RunInput;
  /** The model card as it was when the run started (cards can change as models are retrained). */
  model: ModelSummaryDto | undefined;
  run: InferenceRun;
}

export interface RunState {
  /** Newest first, at most KEEP_RUNS. */
  runs: RunEntry[];
  selected: number | null;
  pending: RunInput | null;
  error: unknown;
}

export interface RunStore {
  get(): RunState;
  subscribe(listener: () => void): () => void;
  run(api: Pick<RendererApi, 'call'>, input: RunInput, model: ModelSummaryDto | undefined): Promise<void>;
  select(seq: number): void;
  clearError(): void;
}

export function addRun(runs: RunEntry[], entry: RunEntry, keep = KEEP_RUNS): RunEntry[] {
  return [entry, ...runs].slice(0, keep);
}

export function createRunStore(): RunStore {
  let state: RunState = { runs: [], selected: null, pending: null, error: null };
  let seq = 0;
  const listeners = new Set<() => void>();
  const set = (next: Partial<RunState>) => {
    state = { ...state, ...next };
    for (const l of listeners) l();
  };
  return {
    get: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async run(api, input, model) {
      // One run at a time: the engine worker serialises them anyway, and a second click while
      // busy would only queue a duplicate.
      if (state.pending) return;
      set({ pending: input, error: null });
      try {
        const run = await api.call('models.run', input);
        const entry: RunEntry = { seq: ++seq, input, model, run };
        set({ runs: addRun(state.runs, entry), selected: entry.seq, pending: null });
      } catch (e) {
        set({ error: e, pending: null });
      }
    },
    select(s) {
      if (state.runs.some((r) => r.seq === s)) set({ selected: s });
    },
    clearError() {
      if (state.error) set({ error: null });
    },
  };
}

/** The page's store for this renderer (one app window, one Run page). */
export const runStore = createRunStore();

export function useRunState(store: RunStore = runStore): RunState {
  return useSyncExternalStore(store.subscribe, store.get, store.get);
}
