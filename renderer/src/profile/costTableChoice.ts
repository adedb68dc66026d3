/**
 * The cost-table choice of a profiling run: the analytic default first (labelled as such), then the
 * calibrated tables that fit this model, machine and backend; the others are shown disabled with
 * the core's reason, and a chosen table that no longer fits says so.
 */
import type { CostTableSummary } from '../../../main/api/contract';

export interface CostTableOption {
  value: string;
  label: string;
  disabled: boolean;
  title?: string;
}

export const ANALYTIC_LABEL = 'Analytic (45 nm energy table; profiled latency), the default';

export function costTableOptions(
  tables: readonly CostTableSummary[] | null,
  selected: string,
): { options: CostTableOption[]; refused: Array<{ name: string; reason: string }>; selectedProblem: string | null } {
  const pct = (x: number | null) => (x === null ? '' : `, held-out error ${(100 * x).toFixed(1)} %`);
  const options: CostTableOption[] = [{ value: '', label: ANALYTIC_LABEL, disabled: false }];
  const refused: Array<{ name: string; reason: string }> = [];
  // While the list loads, a table chosen elsewhere (Calibrate's "Profile with this table") stays chosen.
  if (tables === null) {
    if (selected) options.push({ value: selected, label: selected, disabled: false });
    return { options, refused, selectedProblem: null };
  }
  for (const t of tables) {
    const sim = t.meter.simulated ? ', SIMULATED meter' : '';
    if (t.usable) {
      options.push({
        value: t.name,
        label: `${t.name} (calibrated ${t.createdAt.slice(0, 10)} on ${t.backend.name}${sim}${pct(t.heldOutEnergyMape)})`,
        disabled: false,
      });
    } else {
      const reason = t.reason ?? `Cost table ${t.name} does not fit this run.`;
      options.push({ value: t.name, label: `${t.name} (not usable here)`, disabled: true, title: reason });
      refused.push({ name: t.name, reason });
    }
  }
  let selectedProblem: string | null = null;
  if (selected) {
    const t = tables.find((x) => x.name === selected);
    if (!t) selectedProblem = `Cost table ${selected} is not stored beside this database; choose another or the analytic one.`;
    else if (!t.usable) selectedProblem = t.reason ?? `Cost table ${selected} does not fit this run; choose another.`;
  }
  return { options, refused, selectedProblem };
}
