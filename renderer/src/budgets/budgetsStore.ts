/**
 * The stored budgets as the renderer last read them, outside React: the Budgets page changes them
 * and the profiling options offer them, and both see the same list.
 */
import { useSyncExternalStore } from 'react';
import type { CallInput, StoredBudgetDto } from '../../../main/api/contract';
import type { RendererApi } from '../api';

export interface BudgetsState {
  list: StoredBudgetDto[] | null;
  loadError: unknown;
}

let state: BudgetsState = { list: null, loadError: null };
const listeners = new Set<() => void>();
const set = (next: Partial<BudgetsState>) => {
  state = { ...state, ...next };
  for (const l of listeners) l();
};

export const budgetsStore = {
  get: (): BudgetsState => state,
  subscribe(l: () => void): () => void {
    listeners.add(l);
    return () => listeners.delete(l);
  },
  async load(api: Pick<RendererApi, 'call'>): Promise<void> {
    try {
      set({ list: await api.call('budgets.list', {}), loadError: null });
    } catch (e) {
      set({ loadError: e });
    }
  },
  /** Adds a budget; a refusal is thrown for the form to show beside its field. */
  async add(api: Pick<RendererApi, 'call'>, input: CallInput<'budgets.add'>): Promise<StoredBudgetDto> {
    const b = await api.call('budgets.add', input);
    await budgetsStore.load(api);
    return b;
  },
  async remove(api: Pick<RendererApi, 'call'>, name: string): Promise<void> {
    await api.call('budgets.remove', { name });
    await budgetsStore.load(api);
  },
};

export function useBudgets(): BudgetsState {
  return useSyncExternalStore(budgetsStore.subscribe, budgetsStore.get, budgetsStore.get);
}
