/**
 * Which profiling runs a calibration makes. The fit can only separate unit kinds whose executed
 * amounts vary independently across the observations, so the runs span the model's range: the
 * static network (every unit), the input-dependent mode (gates skip blocks and channels, no exits)
 * and the budgeted mode under MAC budgets spread from the first exit's minimum to the full network
 * (halts at different depths: exit heads and the classifier vary). One budgeted run from the middle
 * of the range is held out of the fit and predicted, so the reported error is an interpolation
 * error on runs like the ones the table will serve.
 */
import type { InferenceMode } from '../../ddi/types';
import { budgetedMode } from '../../domain/modes';
import { UserError } from '../../util/errors';

export interface PlannedRun {
  mode: InferenceMode;
  /** A MAC budget as the engine takes it ("1234567MAC"), for radi/ddi. */
  budget: string | null;
  heldOut: boolean;
}

export interface PlanInput {
  /** The model has layer or channel gates (iadi/ddi), else radi is the budgeted mode. */
  gated: boolean;
  /** Smallest MAC budget of the budgeted mode (worst case to the first exit). */
  minimumMacs: number;
  /** MACs of everything the budgeted mode can run (backbone, gates, exits). */
  fullMacs: number;
  runs: number;
}

export function planCalibration(p: PlanInput): PlannedRun[] {
  const fixed: PlannedRun[] = p.gated
    ? [
        { mode: 'static', budget: null, heldOut: false },
        { mode: 'iadi', budget: null, heldOut: false },
      ]
    : [{ mode: 'static', budget: null, heldOut: false }];
  const k = p.runs - fixed.length;
  if (!Number.isInteger(p.runs) || k < 2 || p.runs > 50) {
    throw new UserError(
      `--runs ${p.runs} cannot calibrate this model; use ${fixed.length + 2} to 50 (${fixed.map((r) => r.mode).join(' and ')} plus at least two budgeted runs, one of them held out).`,
      'bad-runs',
    );
  }
  const mode: InferenceMode = budgetedMode(p.gated);
  const held = Math.floor(k / 2);
  const budgeted = Array.from({ length: k }, (_, i) => {
    // Budgets at the centres of k equal slices of [minimum, full]: never the bare minimum, never above full.
    const v = p.minimumMacs + ((p.fullMacs - p.minimumMacs) * (i + 0.5)) / k;
    return { mode, budget: `${Math.ceil(v)}MAC`, heldOut: i === held };
  });
  return [...fixed, ...budgeted];
}
