/**
 * A stored sweep as lines to draw: accuracy against measured energy per inference, mean latency
 * or mean MACs, one line per model in budget order, and the budgets that sit on the chosen axis.
 */
import type { SweepDto } from '../../../main/api/contract';
import type { SweepAxis, SweepLine } from './CompareCharts';

const KIND_OF_AXIS: Record<SweepAxis, SweepDto['curves'][number]['points'][number]['budgetKind']> = { energy: 'energy', latency: 'latency', macs: 'macs' };

export function sweepLines(sweep: Pick<SweepDto, 'curves'>, axis: SweepAxis): { lines: SweepLine[]; budgets: number[] } {
  const xOf = (p: SweepDto['curves'][number]['points'][number]): number | null =>
    axis === 'energy' ? p.energyPerInferenceJ : axis === 'latency' ? p.latencyMeanS : p.macsMean;
  const lines = sweep.curves.map((c) => ({
    model: c.model,
    points: c.points
      .flatMap((p) => {
        const x = xOf(p);
        return x === null || p.accuracy === null ? [] : [{ x, y: p.accuracy, budget: p.budget }];
      })
      .sort((a, b) => a.x - b.x),
  }));
  const budgets = [...new Set(sweep.curves.flatMap((c) => c.points.filter((p) => p.budgetKind === KIND_OF_AXIS[axis]).map((p) => p.budgetValue)))].sort(
    (a, b) => a - b,
  );
  return { lines, budgets };
}
