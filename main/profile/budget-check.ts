/**
 * Checks a profiling run against named budgets. A value counts as within its budget when value ≤
 * budget: exactly at the budget is inside. Because a budget typed as "0.8mJ" and a value computed
 * another way can differ in the last bit, "≤" allows a relative 1e-12 (far below any measurement's
 * resolution). Percentiles are nearest-rank (stats.ts). An inference without a value (no measurement:
 * a gap, window mode, a damaged chunk) is reported apart and never counted as within; the run passes
 * a per-inference budget only when every inference is measured and within it.
 */
import { formatCost, type CostKind } from '../ddi/cost';
import { mean, nearestRank } from './stats';

export type BudgetMetric = 'energy_per_inference' | 'latency_per_inference' | 'macs_per_inference' | 'energy_per_run';

export const BUDGET_METRICS: BudgetMetric[] = ['energy_per_inference', 'latency_per_inference', 'macs_per_inference', 'energy_per_run'];

/** SI unit of each metric's value. */
export const METRIC_UNITS: Record<BudgetMetric, 'J' | 's' | 'MAC'> = {
  energy_per_inference: 'J',
  latency_per_inference: 's',
  macs_per_inference: 'MAC',
  energy_per_run: 'J',
};

const METRIC_KIND: Record<BudgetMetric, CostKind> = {
  energy_per_inference: 'energy',
  latency_per_inference: 'latency',
  macs_per_inference: 'macs',
  energy_per_run: 'energy',
};

/** A named budget in SI units (J, s, MAC). */
export interface BudgetSpec {
  name: string;
  metric: BudgetMetric;
  value: number;
  unit: string;
}

/** What one inference measured; null = no value. */
export interface InferenceValues {
  seq: number;
  /** Measured energy (J). */
  energyJ: number | null;
  /** Measured latency, (endNs − startNs) / 1e9 (s). */
  latencyS: number | null;
  macs: number | null;
}

export interface BudgetViolation {
  seq: number;
  value: number;
}

export interface BudgetResult extends BudgetSpec {
  /** The budget for people, e.g. "0.800 mJ". */
  valueText: string;
  /** Every inference measured and within (energy_per_run: the run total measured and within). */
  pass: boolean;
  /** 'unknown' when nothing is over the budget but some values are missing. */
  verdict: 'pass' | 'fail' | 'unknown';
  /** One sentence stating the outcome. */
  summary: string;
  /** Inferences checked (energy_per_run: 1, the run). */
  count: number;
  within: number;
  /** within / count: missing values count as not within. */
  fractionWithin: number;
  /** Inferences without a value, and their seqs. */
  unmeasured: number;
  unmeasuredSeqs: number[];
  worst: number | null;
  worstText: string;
  mean: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** Over the budget, worst first (ties by seq). */
  violations: BudgetViolation[];
  /** energy_per_run only: the run's total measured energy (J). */
  total?: number | null;
}

const REL_TOLERANCE = 1e-12;

export function isWithin(value: number, budget: number): boolean {
  return value <= budget + Math.abs(budget) * REL_TOLERANCE;
}

export function formatMetricValue(metric: BudgetMetric, value: number | null): string {
  return value === null ? '—' : formatCost(value, METRIC_KIND[metric]);
}

function valueOf(metric: BudgetMetric, v: InferenceValues): number | null {
  const x = metric === 'energy_per_inference' ? v.energyJ : metric === 'latency_per_inference' ? v.latencyS : v.macs;
  return x !== null && Number.isFinite(x) ? x : null;
}

export function checkBudget(spec: BudgetSpec, inferences: InferenceValues[], runEnergyJ: number | null = null): BudgetResult {
  if (spec.unit !== METRIC_UNITS[spec.metric]) {
    throw new RangeError(`budget "${spec.name}" (${spec.metric}) must be in ${METRIC_UNITS[spec.metric]}, not ${spec.unit}`);
  }
  const valueText = formatMetricValue(spec.metric, spec.value);
  const name = `Budget "${spec.name}"`;
  if (spec.metric === 'energy_per_run') {
    const total = runEnergyJ !== null && Number.isFinite(runEnergyJ) ? runEnergyJ : null;
    const ok = total !== null && isWithin(total, spec.value);
    const verdict = total === null ? 'unknown' : ok ? 'pass' : 'fail';
    return {
      ...spec,
      valueText,
      pass: ok,
      verdict,
      summary:
        total === null
          ? `${name} (run energy ≤ ${valueText}): not known, the run's energy was not measured.`
          : `${name} (run energy ≤ ${valueText}): ${ok ? 'PASS' : 'FAIL'}, the run used ${formatMetricValue(spec.metric, total)}.`,
      count: 1,
      within: ok ? 1 : 0,
      fractionWithin: ok ? 1 : 0,
      unmeasured: total === null ? 1 : 0,
      unmeasuredSeqs: [],
      worst: total,
      worstText: formatMetricValue(spec.metric, total),
      mean: total,
      p50: total,
      p95: total,
      p99: total,
      violations: [],
      total,
    };
  }
  const measured: BudgetViolation[] = [];
  const unmeasuredSeqs: number[] = [];
  for (const inf of inferences) {
    const v = valueOf(spec.metric, inf);
    if (v === null) unmeasuredSeqs.push(inf.seq);
    else measured.push({ seq: inf.seq, value: v });
  }
  const violations = measured.filter((m) => !isWithin(m.value, spec.value)).sort((a, b) => b.value - a.value || a.seq - b.seq);
  const within = measured.length - violations.length;
  const sorted = measured.map((m) => m.value).sort((a, b) => a - b);
  const has = sorted.length > 0;
  const worst = has ? sorted[sorted.length - 1]! : null;
  const count = inferences.length;
  const verdict = violations.length > 0 ? 'fail' : unmeasuredSeqs.length > 0 || count === 0 ? 'unknown' : 'pass';
  const what = spec.metric.replace(/_/g, ' ');
  const summary =
    verdict === 'pass'
      ? `${name} (${what} ≤ ${valueText}): PASS, all ${count} inferences within, worst ${formatMetricValue(spec.metric, worst)}.`
      : verdict === 'fail'
        ? `${name} (${what} ≤ ${valueText}): FAIL, ${violations.length} of ${count} inferences over, worst ${formatMetricValue(spec.metric, worst)}.`
        : `${name} (${what} ≤ ${valueText}): not known, ${unmeasuredSeqs.length} of ${count} inferences have no value and none of the others is over.`;
  return {
    ...spec,
    valueText,
    pass: verdict === 'pass',
    verdict,
    summary,
    count,
    within,
    fractionWithin: count > 0 ? within / count : 0,
    unmeasured: unmeasuredSeqs.length,
    unmeasuredSeqs,
    worst,
    worstText: formatMetricValue(spec.metric, worst),
    mean: has ? mean(sorted) : null,
    p50: has ? nearestRank(sorted, 50) : null,
    p95: has ? nearestRank(sorted, 95) : null,
    p99: has ? nearestRank(sorted, 99) : null,
    violations,
  };
}

export function checkBudgets(specs: BudgetSpec[], inferences: InferenceValues[], runEnergyJ: number | null = null): BudgetResult[] {
  return specs.map((s) => checkBudget(s, inferences, runEnergyJ));
}
