/**
 * The budget form's pure logic: the four metrics with the units each takes, turning what was typed
 * into a `budgets.add` input (or one sentence and the field it concerns, before anything is sent),
 * and a stored budget (SI units) made readable.
 */
import type { CallInput, StoredBudgetDto } from '../../../main/api/contract';
import { si } from '../common/format';

export type BudgetMetric = StoredBudgetDto['metric'];

export const METRICS: Array<{ metric: BudgetMetric; label: string; units: string[]; defaultUnit: string }> = [
  { metric: 'energy_per_inference', label: 'Energy per inference', units: ['uJ', 'mJ', 'J'], defaultUnit: 'mJ' },
  { metric: 'latency_per_inference', label: 'Latency per inference', units: ['us', 'ms', 's'], defaultUnit: 'ms' },
  { metric: 'macs_per_inference', label: 'MACs per inference', units: ['MAC', 'kMAC', 'MMAC', 'GMAC'], defaultUnit: 'MMAC' },
  { metric: 'energy_per_run', label: 'Energy per run', units: ['mJ', 'J'], defaultUnit: 'J' },
];

export const metricLabel = (m: BudgetMetric): string => METRICS.find((x) => x.metric === m)?.label ?? m;

export interface BudgetFormValues {
  name: string;
  metric: BudgetMetric;
  value: string;
  unit: string;
  model: string;
  notes: string;
}

export type BudgetField = 'name' | 'value';

export const emptyBudgetForm = (): BudgetFormValues => ({ name: '', metric: 'energy_per_inference', value: '', unit: 'mJ', model: '', notes: '' });

/** The form as a `budgets.add` input, or the first problem as one sentence and its field. */
export function toBudgetInput(v: BudgetFormValues): { input: CallInput<'budgets.add'> } | { error: string; field: BudgetField } {
  const name = v.name.trim();
  if (name === '') return { error: 'Give the budget a name, e.g. mcu-energy.', field: 'name' };
  if (name.length > 100) return { error: 'A budget name has at most 100 characters; shorten it.', field: 'name' };
  const value = v.value.trim();
  if (value === '') return { error: 'Enter the budget’s value, e.g. 0.8 mJ.', field: 'value' };
  if (!/^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(value)) return { error: `"${value}" is not a number; write the value like 0.8 or 500.`, field: 'value' };
  if (!(Number(value) > 0) || !Number.isFinite(Number(value))) return { error: 'A budget must be a positive number.', field: 'value' };
  const metric = METRICS.find((m) => m.metric === v.metric);
  if (!metric || !metric.units.includes(v.unit)) return { error: `Choose a unit for ${metric?.label.toLowerCase() ?? 'the budget'}.`, field: 'value' };
  const model = v.model.trim();
  const notes = v.notes.trim();
  return { input: { name, metric: v.metric, value: `${value}${v.unit}`, ...(model ? { model } : {}), ...(notes ? { notes } : {}) } };
}

/** A stored value in its metric's unit with a readable prefix: 0.0008 J → "800 µJ", 2e7 MAC → "20.0 MMAC". */
export function budgetValueText(b: Pick<StoredBudgetDto, 'metric' | 'value'>): string {
  if (b.metric === 'macs_per_inference') {
    const [scale, unit] = b.value >= 1e9 ? [1e9, 'GMAC'] : b.value >= 1e6 ? [1e6, 'MMAC'] : b.value >= 1e3 ? [1e3, 'kMAC'] : [1, 'MAC'];
    return `${Number((b.value / scale).toPrecision(4))} ${unit}`;
  }
  return si(b.value, b.metric === 'latency_per_inference' ? 's' : 'J');
}

/** Budgets a run of this model can check: those for any model and those for this one. */
export function budgetsForModel(budgets: readonly StoredBudgetDto[], model: string): StoredBudgetDto[] {
  return budgets.filter((b) => b.model === null || b.model === model);
}
