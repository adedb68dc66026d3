/**
 * Putting a named calibrated table to use for a model: the guard rails (same model, machine and
 * backend, store.ts) and the margin a run keeps below its nominal budget.
 */
import { modelHash, thisMachine } from '../../ddi/derived-tables';
import { readModelFile } from '../../ddi/io';
import type { Budget } from '../../ddi/types';
import { formatCost } from '../../ddi/cost';
import { UserError } from '../../util/errors';
import type { ProfileResult } from '../analyze';
import { isWithin } from '../budget-check';
import { checkTableFits, type CalibratedTable } from './store';

/** Refuses (one sentence) a table calibrated for another model, machine or backend. */
export function checkTableForModel(table: CalibratedTable, modelDir: string, modelName: string, backend: { name: string; version: string }): void {
  checkTableFits(table, { modelName, modelHash: modelHash(readModelFile(modelDir)), machine: thisMachine(), backend });
}

/** "10%" or "0.1" → 0.1; a margin is a fraction of the budget from 0 up to (not including) 90 %. */
export function parseMargin(text: string): number {
  const t = text.trim();
  const m = /^(\d+(?:\.\d*)?|\.\d+)\s*(%?)$/.exec(t);
  const v = m ? Number(m[1]) / (m[2] ? 100 : 1) : Number.NaN;
  if (!(v >= 0 && v < 0.9)) throw new UserError(`--margin "${text}" is not a margin; give a percentage from 0% to below 90%, e.g. --margin 10%.`, 'bad-margin');
  return v;
}

/** The budget the engine enforces: the nominal one shrunk by the margin. */
export function enforcedBudget(nominal: Budget, margin: number): Budget {
  if (!margin) return nominal;
  return { ...nominal, value: nominal.value * (1 - margin), text: `${nominal.text ?? nominal.value} − ${+(margin * 100).toFixed(3)} %` };
}

/**
 * Measured compliance with the nominal hard budget. Latency and MACs are known per inference, and so
 * is energy in per-inference attribution: the share of inferences within the budget (the hard-budget
 * check's result). A window-mode run has no per-inference energies; it says whether the measured
 * mean per inference and its 95 % confidence interval lie within the budget, which is all a slow
 * meter can tell.
 */
export interface MeasuredCompliance {
  metric: string;
  attribution: string;
  /** Per inference: share within the nominal budget (null in window mode for energy). */
  fractionWithin: number | null;
  verdict: 'pass' | 'fail' | 'unknown';
  /** Energy in window mode: measured mean per inference, its 95 % interval, and whether it is within. */
  meanJ: number | null;
  ci95J: [number, number] | null;
  meanVerdict: 'within' | 'over' | 'undecided' | null;
  summary: string;
}

export function measuredCompliance(
  r: Pick<ProfileResult, 'budgets' | 'attribution' | 'energyPerInference'>,
  nominal: Budget | null,
): MeasuredCompliance | null {
  const hard = r.budgets.find((b) => b.name.startsWith('hard budget'));
  if (!nominal || !hard) return null;
  const window = nominal.kind === 'energy' && r.attribution.mode === 'window';
  if (!window) {
    return {
      metric: hard.metric,
      attribution: r.attribution.mode,
      fractionWithin: hard.fractionWithin,
      verdict: hard.verdict,
      meanJ: null,
      ci95J: null,
      meanVerdict: null,
      summary: `${hard.within} of ${hard.count} inferences (${(100 * hard.fractionWithin).toFixed(1)} %) measured within the nominal budget ${hard.valueText}: ${hard.verdict.toUpperCase()}.`,
    };
  }
  const e = r.energyPerInference;
  const mean = e?.mean ?? null;
  const ci = e?.ci95 ?? null;
  const hi = ci ? ci[1] : mean;
  const lo = ci ? ci[0] : mean;
  const meanVerdict =
    mean === null ? null : hi !== null && isWithin(hi, nominal.value) ? 'within' : lo !== null && !isWithin(lo, nominal.value) ? 'over' : 'undecided';
  const fmt = (v: number) => formatCost(v, 'energy');
  return {
    metric: hard.metric,
    attribution: 'window',
    fractionWithin: null,
    verdict: 'unknown',
    meanJ: mean,
    ci95J: ci,
    meanVerdict,
    summary:
      mean === null
        ? 'No measured energy: compliance unknown.'
        : `Window mode measures no single inference; the mean per inference, ${fmt(mean)}${ci ? ` (95 % CI ${fmt(ci[0])} … ${fmt(ci[1])})` : ''}, is ${meanVerdict === 'within' ? 'within' : meanVerdict === 'over' ? 'over' : 'not clearly within or over'} the nominal budget ${hard.valueText}.`,
  };
}
