/**
 * Aggregations over one `models.run` result for the Run page: accuracy, cost shares, the exit
 * distribution, per-block skip rates, per-layer channel keep rates and per-inference rows. Pure
 * functions of the result, so the page and the tests compute the same numbers.
 */
import type { InferenceRecordDto, InferenceRun } from '../../../main/api/contract';

/** Wall time of one inference as the engine timed it (monotonic ns). */
export const recordWallS = (r: Pick<InferenceRecordDto, 'startNs' | 'endNs'>): number => (r.endNs - r.startNs) / 1e9;

export interface RunSummary {
  count: number;
  correct: number;
  /** correct / count; null when nothing ran. */
  accuracy: number | null;
  meanMacs: number;
  staticMacs: number;
  /** meanMacs / staticMacs. */
  macsShare: number | null;
  /** null when the run had no budget: "within budget" means nothing then. */
  withinBudget: number | null;
  /** Mean of endNs − startNs over the records: the inference itself. */
  meanInferenceS: number | null;
  /** The run's wall time / count as the core measured it (adds worker messaging per batch). */
  meanWallS: number;
  halted: number;
}

export function summarize(run: InferenceRun): RunSummary {
  const n = run.records.length;
  let wall = 0;
  let halted = 0;
  for (const r of run.records) {
    wall += recordWallS(r);
    if (r.halted) halted++;
  }
  return {
    count: run.count,
    correct: run.correct,
    accuracy: run.count > 0 ? run.correct / run.count : null,
    meanMacs: run.meanMacs,
    staticMacs: run.staticMacs,
    macsShare: run.staticMacs > 0 ? run.meanMacs / run.staticMacs : null,
    withinBudget: run.budget ? run.withinBudget : null,
    meanInferenceS: n > 0 ? wall / n : null,
    meanWallS: run.meanWallS,
    halted,
  };
}

/**
 * What a budget verdict rests on. MACs are counted exactly by the engine, so "within" is a fact;
 * latency and energy are predicted by a cost table (a model of the hardware), so "within" is a
 * prediction and says so. A latency budget is also checked against the measured wall time of each
 * inference, and that measured verdict is the one the page leads with.
 */
export interface BudgetVerdict {
  kind: 'macs' | 'latency' | 'energy';
  /** Budget in the kind's base unit (MAC, s, J). */
  value: number;
  /** Share of inferences whose accounted cost stayed within the budget (from the core). */
  accounted: number;
  basis: 'counted' | 'predicted';
  /** Latency budgets only: share of inferences whose measured wall time stayed within it. */
  measured: number | null;
  /** Latency budgets only: how many inferences took longer than the budget. */
  measuredOver: number;
}

export function budgetVerdict(run: InferenceRun): BudgetVerdict | null {
  const budget = run.records.find((r) => r.budget)?.budget;
  if (!run.budget || !budget) return null;
  const kind = budget.kind === 'latency' || budget.kind === 'energy' ? budget.kind : 'macs';
  let over = 0;
  if (kind === 'latency') for (const r of run.records) if (recordWallS(r) > budget.value) over++;
  const n = run.records.length;
  return {
    kind,
    value: budget.value,
    accounted: run.withinBudget,
    basis: kind === 'macs' ? 'counted' : 'predicted',
    measured: kind === 'latency' && n > 0 ? (n - over) / n : null,
    measuredOver: over,
  };
}

export interface ExitBar {
  exitId: string;
  count: number;
  share: number;
}

/** exit0 … exit{n-1} then classifier: the order an input passes them. */
export function exitOrder(exits: number): string[] {
  return [...Array.from({ length: exits }, (_, i) => `exit${i}`), 'classifier'];
}

/**
 * One bar per exit of the model, in network order, including exits nobody left at (a zero bar is
 * information too); ids the model card did not announce are appended rather than dropped.
 */
export function exitDistribution(exitCounts: Record<string, number>, exits: number): ExitBar[] {
  const ids = exitOrder(exits);
  for (const id of Object.keys(exitCounts).sort()) if (!ids.includes(id)) ids.push(id);
  const total = Object.values(exitCounts).reduce((a, b) => a + b, 0);
  return ids.map((exitId) => {
    const count = exitCounts[exitId] ?? 0;
    return { exitId, count, share: total > 0 ? count / total : 0 };
  });
}

export interface BlockStat {
  block: number;
  executed: number;
  /** Skipped by its layer gate. */
  skipped: number;
  /** Never reached because the inference halted at an earlier exit. */
  notReached: number;
  skipRate: number;
  notReachedRate: number;
}

/** Per residual block: how often the gate skipped it and how often a halt left it unreached. */
export function blockStats(records: InferenceRecordDto[]): BlockStat[] {
  let blocks = 0;
  for (const r of records) {
    for (const b of [...r.blocksExecuted, ...r.blocksSkipped, ...r.blocksNotReached]) blocks = Math.max(blocks, b + 1);
  }
  const stats: BlockStat[] = Array.from({ length: blocks }, (_, block) => ({
    block,
    executed: 0,
    skipped: 0,
    notReached: 0,
    skipRate: 0,
    notReachedRate: 0,
  }));
  for (const r of records) {
    for (const b of r.blocksExecuted) stats[b]!.executed++;
    for (const b of r.blocksSkipped) stats[b]!.skipped++;
    for (const b of r.blocksNotReached) stats[b]!.notReached++;
  }
  const n = records.length;
  for (const s of stats) {
    s.skipRate = n > 0 ? s.skipped / n : 0;
    s.notReachedRate = n > 0 ? s.notReached / n : 0;
  }
  return stats;
}

export interface ChannelStat {
  layer: number;
  /** Σkept / Σtotal over the inferences that ran this layer with channel gates. */
  keptShare: number;
  samples: number;
}

/** Mean share of channels the channel gates kept, per gated layer (empty without channel gates). */
export function channelStats(records: InferenceRecordDto[]): ChannelStat[] {
  const acc = new Map<number, { kept: number; total: number; samples: number }>();
  for (const r of records) {
    for (const c of r.channelsKept) {
      const a = acc.get(c.layer) ?? { kept: 0, total: 0, samples: 0 };
      a.kept += c.kept;
      a.total += c.total;
      a.samples++;
      acc.set(c.layer, a);
    }
  }
  return [...acc.entries()].sort(([a], [b]) => a - b).map(([layer, a]) => ({ layer, keptShare: a.total > 0 ? a.kept / a.total : 0, samples: a.samples }));
}

export interface RecordRow {
  index: number;
  label: number | undefined;
  predicted: number;
  correct: boolean | undefined;
  exitId: string;
  macs: number;
  halted: boolean;
  wallS: number;
}

export function recordRows(records: InferenceRecordDto[]): RecordRow[] {
  return records.map((r) => ({
    index: r.datasetIndex ?? r.sampleIndex,
    label: r.label,
    predicted: r.predictedClass,
    correct: r.label === undefined ? undefined : r.label === r.predictedClass,
    exitId: r.exitId,
    macs: r.macs,
    halted: r.halted,
    wallS: recordWallS(r),
  }));
}

/**
 * The rows a fixed-row-height scroller must render: those in view plus `overscan` either side.
 * Keeps a 1000-inference table at a few dozen DOM rows.
 */
export function visibleRange(scrollTop: number, viewportPx: number, rowPx: number, total: number, overscan = 8): { start: number; end: number } {
  if (total <= 0 || rowPx <= 0) return { start: 0, end: 0 };
  // A scroll position left over from a longer table would otherwise point past the end.
  const maxTop = Math.max(0, total * rowPx - viewportPx);
  const first = Math.floor(Math.min(Math.max(0, scrollTop), maxTop) / rowPx);
  const inView = Math.ceil(Math.max(0, viewportPx) / rowPx) + 1;
  const start = Math.max(0, Math.min(total - 1, first) - overscan);
  const end = Math.min(total, first + inView + overscan);
  return { start, end: Math.max(start, end) };
}

/** Fashion-MNIST class names, for the shipped sample; other datasets show the class number only. */
const CLASS_NAMES: Record<string, string[]> = {
  'fashion-mnist': ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
};

export function className(dataset: string | undefined, cls: number | undefined): string {
  if (cls === undefined) return '—';
  const name = dataset ? CLASS_NAMES[dataset]?.[cls] : undefined;
  return name ? `${cls} ${name}` : String(cls);
}
