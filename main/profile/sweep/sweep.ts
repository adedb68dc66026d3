/**
 * A budget sweep: one profiling run per (model, budget) point, each its own session, grouped by a
 * 'sweep' marker carrying the sweep's id; the result is the measured curve per model — accuracy vs
 * measured energy per inference, latency and MACs — with each point's compliance with its budget.
 * Percentages are of the model's static network MACs; budgets below a model's minimum (the first
 * exit, in the table in use) are left out of that model's curve with the reason.
 */
import type { AppCore } from '../../core/app-core';
import { parseBudget } from '../../domain/budget';
import { formatCost } from '../../ddi/cost';
import type { Budget, InferenceMode } from '../../ddi/types';
import { budgetedMode } from '../../domain/modes';
import type { EngineWorkerHost } from '../../ddi/worker/host';
import { ProfileRepo, type InferenceRow } from '../../store/profile-repo';
import { UserError } from '../../util/errors';
import type { CalibratedTable } from '../calibrate/store';
import { checkTableForModel, type MeasuredCompliance } from '../calibrate/use';
import type { ProfileResult } from '../analyze';
import { ProfileRun, type ProfileProgress } from '../run';

export interface SweepModel {
  name: string;
  dir: string;
  costTable: CalibratedTable | null;
}

export interface SweepOptions {
  models: SweepModel[];
  /** "40%" (of static MACs) or a budget with its unit ("0.4mJ", "3MMAC", "2ms"). */
  budgets: string[];
  dataset: string;
  limit: number;
  margin?: number;
  warmup?: number;
  baselineS?: number;
  closingS?: number;
}

export interface SweepPoint {
  model: string;
  mode: InferenceMode;
  budget: string;
  budgetKind: Budget['kind'];
  budgetValue: number;
  sessionId: number;
  inferences: number;
  accuracy: number | null;
  attribution: string;
  energyPerInferenceJ: number | null;
  activeEnergyPerInferenceJ: number | null;
  energyCi95J: [number, number] | null;
  latencyMeanS: number;
  macsMean: number;
  /** Share of inferences measured within the nominal budget (null when not measurable per inference). */
  fractionWithin: number | null;
  verdict: string;
  costTable: string | null;
}

export interface SweepResult {
  sweepId: string;
  createdAt: string;
  simulated: boolean;
  curves: { model: string; mode: InferenceMode; costTable: string | null; points: SweepPoint[]; skipped: { budget: string; reason: string }[] }[];
}

export interface SweepProgress extends ProfileProgress {
  point: number;
  points: number;
  model: string;
  budget: string;
}

/** Splits and checks the --budgets list before anything runs. */
export function parseSweepBudgets(spec: string): string[] {
  const items = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new UserError('--budgets is empty; give a list like 40%,60%,80%,100% or 0.4mJ,0.6mJ.', 'bad-budget');
  for (const it of items) {
    if (it.endsWith('%')) {
      const f = Number(it.slice(0, -1));
      if (!(f > 0 && f <= 1000)) throw new UserError(`--budgets entry "${it}" is not a percentage of the static network; write e.g. 40%.`, 'bad-budget');
    } else parseBudget(it);
  }
  return items;
}

export async function runSweep(
  core: AppCore,
  engine: EngineWorkerHost,
  o: SweepOptions,
  onProgress: (p: SweepProgress) => void = () => undefined,
  isCancelled: () => boolean = () => false,
): Promise<SweepResult> {
  const created = new Date();
  const sweepId = `sweep-${created.toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${process.pid}`;
  const backend = await engine.start();
  // Resolve every model's points first: a bad table or model fails before any run.
  const plans: { m: SweepModel; mode: InferenceMode; points: { text: string; budget: Budget }[]; skipped: { budget: string; reason: string }[] }[] = [];
  for (const m of o.models) {
    let info = await engine.loadModel(m.dir);
    if (m.costTable) {
      checkTableForModel(m.costTable, m.dir, info.name, backend);
      info = await engine.useCostTables({ energy: m.costTable.energy, latency: m.costTable.latency });
    }
    const mode: InferenceMode = budgetedMode(info.gateMacs > 0);
    const points: { text: string; budget: Budget }[] = [];
    const skipped: { budget: string; reason: string }[] = [];
    for (const it of o.budgets) {
      const b: Budget = it.endsWith('%') ? { kind: 'macs', value: Math.ceil((Number(it.slice(0, -1)) / 100) * info.backboneMacs), text: it } : parseBudget(it);
      const min = info.minimumBudgets[mode][b.kind];
      if (min === null) skipped.push({ budget: it, reason: `No ${b.kind} cost table for ${info.name}; calibrate it and pass --cost-table.` });
      else if (b.value * (1 - (o.margin ?? 0)) < min)
        skipped.push({ budget: it, reason: `Below the minimum of ${formatCost(min, b.kind)} needed to reach the first exit.` });
      else points.push({ text: it, budget: b });
    }
    plans.push({ m, mode, points, skipped });
  }
  const total = plans.reduce((s, p) => s + p.points.length, 0);
  if (total === 0)
    throw new UserError('No budget of --budgets is reachable for any model (each is below its first exit); raise the budgets.', 'budget-too-small');

  const repo = new ProfileRepo(core.db);
  const result: SweepResult = { sweepId, createdAt: created.toISOString(), simulated: core.meterStatus()?.simulated ?? false, curves: [] };
  let k = 0;
  for (const p of plans) {
    const curve = { model: p.m.name, mode: p.mode, costTable: p.m.costTable?.name ?? null, points: [] as SweepPoint[], skipped: p.skipped };
    result.curves.push(curve);
    for (const pt of p.points) {
      if (isCancelled()) return result;
      k++;
      const budgetText = pt.budget.kind === 'macs' ? `${pt.budget.value}MAC` : (pt.budget.text ?? String(pt.budget.value));
      const run = new ProfileRun(
        core,
        engine,
        p.m.dir,
        {
          model: p.m.name,
          dataset: o.dataset,
          limit: o.limit,
          mode: p.mode,
          budget: budgetText,
          costTable: p.m.costTable,
          margin: o.margin ?? 0,
          warmup: o.warmup,
          baselineS: o.baselineS,
          closingS: o.closingS,
          name: `Sweep ${sweepId} ${p.m.name} ${p.mode} ${pt.text}`,
        },
        (pr) => onProgress({ ...pr, point: k, points: total, model: p.m.name, budget: pt.text }),
      );
      const r = await run.run();
      repo.addMarker(r.sessionId, {
        tNs: 0,
        endNs: null,
        kind: 'sweep',
        label: sweepId,
        data: { sweepId, model: p.m.name, budget: pt.text, point: k, points: total },
      });
      curve.points.push(
        sweepPoint(
          { model: p.m.name, mode: p.mode, budget: pt.text, budgetKind: pt.budget.kind, budgetValue: pt.budget.value, costTable: p.m.costTable?.name ?? null },
          r,
          repo.inferences(r.sessionId),
        ),
      );
      if (r.status !== 'complete') return result;
    }
  }
  return result;
}

/** What a sweep point is made of besides its run: the (model, budget) it was planned for. */
export type SweepPointPlan = Pick<SweepPoint, 'model' | 'mode' | 'budget' | 'budgetKind' | 'budgetValue' | 'costTable'>;

/**
 * One point of the curve from a finished run and its inference rows. The sweep itself and the
 * app's stored-sweep view (stored.ts) both build points here, so they cannot disagree.
 */
export function sweepPoint(
  plan: SweepPointPlan,
  r: Pick<ProfileResult, 'sessionId' | 'attribution' | 'energyPerInference' | 'latencyPerInference'> & { compliance: MeasuredCompliance | null },
  rows: readonly Pick<InferenceRow, 'label' | 'prediction' | 'macs'>[],
): SweepPoint {
  const labelled = rows.filter((x) => x.label !== null);
  return {
    ...plan,
    sessionId: r.sessionId,
    inferences: rows.length,
    accuracy: labelled.length ? labelled.filter((x) => x.label === x.prediction).length / labelled.length : null,
    attribution: r.attribution.mode,
    energyPerInferenceJ: r.energyPerInference?.mean ?? null,
    activeEnergyPerInferenceJ: r.energyPerInference?.activeMean ?? null,
    energyCi95J: r.energyPerInference?.ci95 ?? null,
    latencyMeanS: r.latencyPerInference.mean,
    macsMean: rows.length ? rows.reduce((s, x) => s + x.macs, 0) / rows.length : 0,
    fractionWithin: r.compliance?.fractionWithin ?? null,
    verdict: r.compliance ? (r.compliance.meanVerdict ?? r.compliance.verdict) : 'unknown',
  };
}

const CSV_HEADER =
  'model,mode,budget,budget_value,budget_unit,session_id,inferences,accuracy,energy_per_inference_J,active_energy_per_inference_J,latency_mean_s,macs_mean,within_budget,verdict,attribution,cost_table';
const UNIT: Record<Budget['kind'], string> = { macs: 'MAC', latency: 's', energy: 'J' };

/** The curve as CSV (one row per point) for pandas, DuckDB or a spreadsheet. */
export function sweepCsv(r: SweepResult): string {
  const v = (x: number | null) => (x === null ? '' : String(x));
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const rows = r.curves.flatMap((c) =>
    c.points.map((p) =>
      [
        q(p.model),
        p.mode,
        q(p.budget),
        p.budgetValue,
        UNIT[p.budgetKind],
        p.sessionId,
        p.inferences,
        v(p.accuracy),
        v(p.energyPerInferenceJ),
        v(p.activeEnergyPerInferenceJ),
        p.latencyMeanS,
        p.macsMean,
        v(p.fractionWithin),
        p.verdict,
        p.attribution,
        q(p.costTable ?? ''),
      ].join(','),
    ),
  );
  return `${[CSV_HEADER, ...rows].join('\n')}\n`;
}
