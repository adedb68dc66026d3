/**
 * The four inference modes and what each one does. The only place that decides which modes take a
 * budget and which run gates: the engine, the CLI, the core and the Run page all ask here.
 */
import { z } from 'zod';

export const InferenceModeSchema = z.enum(['static', 'iadi', 'radi', 'ddi']);
export type InferenceMode = z.infer<typeof InferenceModeSchema>;
export const INFERENCE_MODES: readonly InferenceMode[] = InferenceModeSchema.options;

/** The resource-aware modes: they halt at an exit under a hard budget, and need one. */
export type BudgetedMode = 'radi' | 'ddi';

/** Radi and ddi halt under a hard budget; static and iadi have no budget to keep. */
export function takesBudget(mode: string): mode is BudgetedMode {
  return mode === 'radi' || mode === 'ddi';
}

/** Iadi and ddi let the learned gates skip blocks and channels; static and radi run every gate open. */
export function usesGates(mode: string): boolean {
  return mode === 'iadi' || mode === 'ddi';
}

/** The budgeted mode of a model: ddi when it has gates to run, radi when not. */
export function budgetedMode(gated: boolean): BudgetedMode {
  return gated ? 'ddi' : 'radi';
}

/** The mode a model runs in by default: ddi/iadi when it has gates, radi/static when not. */
export function defaultMode(gated: boolean, budgeted: boolean): InferenceMode {
  if (budgeted) return budgetedMode(gated);
  return gated ? 'iadi' : 'static';
}
