/**
 * Calibration: profile a model on this board in runs that vary what it executes (plan.ts), fit the
 * board's per-kind energy and latency costs on all runs but one (fit.ts), predict the held-out run
 * with the fitted tables and report the error, and store the pair as a named cost table (store.ts)
 * for `--cost-table NAME`.
 *
 * What the tables predict: latency is the measured duration of an inference; energy is what the
 * profiler's budget check compares with a budget — the meter's measured energy over the
 * inference's window, idle draw included. The energy fit is on the energy above ONE idle power for
 * all runs (the mean of their baselines), and the stored energy table adds the same idle power ×
 * the latency table back, unit by unit: measured ≈ active + idle power × duration, so the latency
 * fit, which every inference informs, carries the idle share even when a slow meter gives only a
 * few windows. Each run's own baseline is not used: it moves with background work (compilation
 * and collection after the warm-up, the meter's ingest) that does not go on at the same rate while
 * an inference keeps the processor busy, and its 1 s of noise would enter every observation.
 *
 * The held-out run is judged two ways: the error of its mean energy per inference (what a run's
 * total, and a budget met on average, depend on) with the 95 % interval of that measured mean, and
 * the mean absolute percentage error of single inferences (what a per-inference budget check sees;
 * large wherever the meter or the host blurs single inferences, see docs/profiling.md).
 */
import { buildLayout } from '../../ddi/layout';
import { ENERGY_PRESETS, energyTable as analyticEnergyTable, type CostTable } from '../../ddi/cost';
import { modelHash, thisMachine } from '../../ddi/derived-tables';
import { readModelFile } from '../../ddi/io';
import type { ModelConfig } from '../../ddi/config';
import type { EngineWorkerHost } from '../../ddi/worker/host';
import type { AppCore } from '../../core/app-core';
import { ProfileRepo } from '../../store/profile-repo';
import { UserError } from '../../util/errors';
import type { ProfileResult } from '../analyze';
import { ProfileRun, type ProfileProgress } from '../run';
import { predictCost, UnitCatalog, UNIT_KINDS, type Charge } from './features';
import { fitCosts, perKindParameters, type FitResult } from './fit';
import { mergeRunObservations, POOLED_FIT, runObservations, type RunObservations } from './observations';
import { FIT_POOL, maxSegments, segmentsFor } from '../../domain/calibration-segments';
import { planCalibration, type PlannedRun } from './plan';
import { calibratedTablesDir, checkTableName, loadCalibratedTable, saveCalibratedTable, type CalibratedTable } from './store';
import { combineTables, tableFromFit } from './table';
import { mean, sampleSd, t975 } from '../stats';
import { monotonicNs } from '../../util/clock';
import { existsSync } from 'node:fs';
import { budgetedMode, type BudgetedMode } from '../../domain/modes';
import { join } from 'node:path';

export interface CalibrateOptions {
  /** Model directory. */
  modelDir: string;
  dataset: string;
  /** Inferences per run. */
  limit: number;
  runs: number;
  warmup?: number;
  baselineS?: number;
  closingS?: number;
  /** Table name (default: model-backend-date). */
  name?: string;
  /** Where named tables are kept (store.ts calibratedTablesDir). */
  tablesDir: string;
  meter: { spec: string; label: string; simulated: boolean };
  /**
   * Sessions per run (default: domain/calibration-segments defaultSegments): each run is measured in this many parts, run after run in turn,
   * so that a drift of the board over the calibration is shared by all runs (see the loop).
   */
  segments?: number;
  /**
   * Wanted half-width of the 95 % interval of every run's mean measured energy per inference,
   * relative (default DEFAULT_PRECISION): below it, extension rounds measure every run again.
   */
  precision?: number;
  /** Extension rounds start only while the calibration is expected to end within this (s; default DEFAULT_MAX_DURATION_S). */
  maxDurationS?: number;
  /** At most this many extension rounds (default DEFAULT_MAX_EXTRA_ROUNDS). */
  maxExtraRounds?: number;
  /** Called with each profiling run as it starts (the app cancels the one going on). */
  onRun?: (run: ProfileRun) => void;
}

/**
 * ±3 %: a held-out error judged against ±5 % must rest on means known better than that; at 1000
 * inferences per run a preempted host measured ±9–13 % (docs/benchmarks.md, bench:calibrate).
 */
export const DEFAULT_PRECISION = 0.03;
/** Five minutes: extension rounds stop there, precision reached or not (the result says which). */
export const DEFAULT_MAX_DURATION_S = 300;
/** A bound besides the time: at 1000 inferences per run, 20 rounds take a run's spread down about 4.6×. */
export const DEFAULT_MAX_EXTRA_ROUNDS = 20;

export interface CalibrationProgress extends ProfileProgress {
  /** Profiling session n of runs (× segments). */
  run: number;
  runs: number;
}

/** A planned run and what its sessions measured (one per segment). */
interface Done {
  planned: PlannedRun;
  results: ProfileResult[];
  parts: RunObservations[];
  /** The parts as one run (energySetAside: window-mode sessions whose energy was not used). */
  obs: RunObservations & { energySetAside: number[] };
}

export interface HeldOutError {
  sessionId: number;
  /** Every session of the held-out run (one per segment). */
  sessionIds: number[];
  mode: string;
  budget: string | null;
  attribution: string;
  /** Energy observations compared (inferences in per-inference mode, windows in window mode). */
  observations: number;
  /** Mean absolute percentage error of predicted vs measured energy per inference (per window in window mode), as a fraction. */
  energyMape: number | null;
  /** Predicted ÷ measured mean energy per inference − 1 (signed): the run total's error, per inference. */
  energyMeanError: number | null;
  /** Half-width of the 95 % confidence interval of the measured mean energy per inference, relative to it (its spread over the run). */
  energyMeanCi95: number | null;
  /** |energyMeanError| (kept for readers of older reports). */
  energyTotalError: number | null;
  measuredEnergyPerInferenceJ: number | null;
  predictedEnergyPerInferenceJ: number | null;
  /** The same MAPE for the analytic 45 nm table, for comparison. */
  analyticEnergyMape: number | null;
  latencyMape: number | null;
  /** Predicted ÷ measured mean duration per inference − 1. */
  latencyMeanError: number | null;
}

type FitReport = Pick<FitResult, 'intercept' | 'interceptSe' | 'parameters' | 'residuals'>;

export interface CalibrationResult {
  costTable: {
    name: string;
    path: string;
    model: { name: string; hash: string };
    backend: { name: string; version: string };
    machine: CalibratedTable['machine'];
    meter: CalibratedTable['meter'];
    createdAt: string;
    idlePowerW: number;
    energyTable: string;
    latencyTable: string;
  };
  simulated: boolean;
  runs: {
    sessionId: number;
    sessionIds: number[];
    /** Sessions of the run in window mode whose energy was not used (mergeRunObservations). */
    energySetAside: number[];
    mode: string;
    budget: string | null;
    heldOut: boolean;
    attribution: string;
    inferences: number;
    energyObservations: number;
    /** Half-width of the 95 % interval of the run's mean measured energy per inference, relative. */
    energyMeanCi95: number | null;
  }[];
  /** How precisely the runs' means were measured, and the extension rounds it took (CalibrateOptions.precision). */
  precision: { target: number; maxDurationS: number; maxExtraRounds: number; extraRounds: number; worstCi95: number | null; reached: boolean };
  /** measuredMape: the energy table's error on the fitted runs' measured energy (not the active energy the fit saw). */
  fit: { energy: FitReport & { measuredMape: number | null }; latency: FitReport };
  heldOut: HeldOutError;
  /** What the calibrated tables say about the model: the least budget per budgeted mode, a static inference's cost. */
  minimumBudgets: Record<BudgetedMode, { energyJ: number | null; latencyS: number | null }>;
  staticPrediction: { energyJ: number; latencyS: number };
}

export async function calibrate(
  core: AppCore,
  engine: EngineWorkerHost,
  o: CalibrateOptions,
  onProgress: (p: CalibrationProgress) => void = () => undefined,
  isCancelled: () => boolean = () => false,
): Promise<CalibrationResult> {
  const file = readModelFile(o.modelDir);
  const hash = modelHash(file);
  const cat = new UnitCatalog(buildLayout(file.architecture as ModelConfig));
  const backend = await engine.start();
  const info = await engine.loadModel(o.modelDir);
  const created = new Date();
  const name = checkTableName(o.name ?? `${info.name}-${backend.name}-${created.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}`);
  if (existsSync(join(o.tablesDir, `${name}.json`)))
    throw new UserError(`A cost table named ${name} exists already; choose another --name.`, 'cost-table-exists');
  if (!core.meterStatus()) throw new UserError('Connect a meter before calibrating (--meter on the CLI).', 'no-meter');
  const gated = file.architecture.gates.layer || file.architecture.gates.channel;
  const mode = budgetedMode(gated);
  const plan = planCalibration({
    gated,
    minimumMacs: info.minimumBudgets[mode].macs!,
    fullMacs: info.backboneMacs + info.gateMacs + info.exitMacs,
    runs: o.runs,
  });

  const segments = segmentsFor(o.limit, o.segments);
  checkSegments(segments, o.limit);
  // Segment s of every run measures images [starts[s], starts[s + 1]).
  const starts = Array.from({ length: segments + 1 }, (_, s) => Math.floor((s * o.limit) / segments));
  const repo = new ProfileRepo(core.db);
  const measured = plan.map((planned) => ({ planned, results: [] as ProfileResult[], parts: [] as RunObservations[] }));
  const precision = o.precision ?? DEFAULT_PRECISION;
  const maxDurationS = o.maxDurationS ?? DEFAULT_MAX_DURATION_S;
  const maxExtraRounds = o.maxExtraRounds ?? DEFAULT_MAX_EXTRA_ROUNDS;
  const startedNs = monotonicNs();
  // Sessions planned so far (progress): the segments, and each extension round as it is decided.
  let steps = plan.length * segments;
  let step = 0;
  /** Measures run `d` once more: images [offset, offset + n), as segment `segment` of it. */
  const measure = async (d: (typeof measured)[number], i: number, offset: number, n: number, segment: number, label: string): Promise<void> => {
    if (isCancelled())
      throw new UserError(
        `Calibration cancelled after ${step} of ${steps} profiling sessions; nothing was stored as a cost table (the sessions are kept).`,
        'cancelled',
      );
    const { planned } = d;
    const run = new ProfileRun(
      core,
      engine,
      o.modelDir,
      {
        model: info.name,
        dataset: o.dataset,
        limit: n,
        offset,
        mode: planned.mode,
        budget: planned.budget,
        // The warm-up is per session: each warms up on its share (its own images by default).
        warmup: o.warmup === undefined ? undefined : Math.round((o.warmup * n) / o.limit),
        baselineS: o.baselineS,
        closingS: o.closingS,
        name: `Calibrate ${name} ${i + 1}/${plan.length}${label}: ${planned.mode}${planned.budget ? ` ${planned.budget}` : ''}${planned.heldOut ? ' (held out)' : ''}`,
      },
      (p) => onProgress({ ...p, run: step + 1, runs: steps }),
    );
    o.onRun?.(run);
    const result = await run.run();
    step++;
    repo.addMarker(result.sessionId, {
      tNs: 0,
      endNs: null,
      kind: 'calibration',
      label: name,
      data: { table: name, run: i + 1, runs: plan.length, segment, segments, heldOut: planned.heldOut },
    });
    if (result.status !== 'complete') {
      throw new UserError(
        `Calibration run ${i + 1}${label} (session ${result.sessionId}) ended ${result.status}: ${result.statusReason ?? 'the meter stopped'}; fix the meter and calibrate again (the sessions are kept).`,
        'calibration-incomplete',
      );
    }
    d.results.push(result);
    d.parts.push(runObservations(core.db, result.sessionId, cat));
  };
  // Round-robin: segment 1 of every run, then segment 2 of every run, … The board's state drifts
  // (other work, temperature, the executor's caches); spread over the whole calibration, every run
  // sees the same mix of it, the held-out run included.
  for (let s = 0; s < segments; s++) {
    for (const [i, d] of measured.entries()) {
      await measure(d, i, starts[s]!, starts[s + 1]! - starts[s]!, s + 1, segments > 1 ? ` part ${s + 1}/${segments}` : '');
    }
  }
  // Extension rounds: while some run's mean energy per inference is known less precisely than
  // asked, every run is measured once more over all its images, in the same order, run after run —
  // a run's single inferences vary as much as their mean where the host preempts them (a held-out
  // error can only be told to within that run's own uncertainty). Stops at the precision, the
  // round limit or the time limit, whichever comes first.
  let extraRounds = 0;
  // A run with fewer than two energy observations has no interval yet: not precise enough.
  const worst = () => Math.max(...measured.map((d) => meanEnergyCi95(mergeRunObservations(d.parts)) ?? Number.POSITIVE_INFINITY));
  // A round's duration: first guessed from the planned rounds, then the last extension round's.
  let roundS = (monotonicNs() - startedNs) / 1e9 / segments;
  while (extraRounds < maxExtraRounds && worst() > precision && (monotonicNs() - startedNs) / 1e9 + roundS <= maxDurationS) {
    const r0 = monotonicNs();
    extraRounds++;
    steps += plan.length;
    for (const [i, d] of measured.entries()) {
      await measure(d, i, 0, o.limit, segments + extraRounds, ` extra ${extraRounds}`);
    }
    roundS = (monotonicNs() - r0) / 1e9;
  }
  const done: Done[] = measured.map((d) => ({ ...d, obs: mergeRunObservations(d.parts) }));

  const train = done.filter((d) => !d.planned.heldOut);
  const held = done.find((d) => d.planned.heldOut)!;
  const energyObs = train.flatMap((d) => d.obs.energy);
  if (energyObs.length === 0) {
    throw new UserError(
      `The calibration runs have no measured energy (attribution: ${train[0]?.results[0]?.attribution.reason ?? 'none'}); check the meter and calibrate again.`,
      'no-measured-energy',
    );
  }
  const specs = perKindParameters(UNIT_KINDS);
  // Idle power: mean of the training sessions' baselines, weighted by their energy observations' inferences.
  const idle = weightedMean(
    train.flatMap((d) => d.parts).flatMap((p) => (p.baselineW === null ? [] : [{ v: p.baselineW, w: p.energy.reduce((s, x) => s + (x.weight ?? 1), 0) }])),
  );
  const energyFit = fitCosts(
    energyObs.map((o) => ({ values: o.values, y: o.y - idle * o.durationS, weight: o.weight })),
    specs,
    POOLED_FIT,
  );
  const latencyFit = fitCosts(
    train.flatMap((d) => d.obs.latency),
    specs,
    POOLED_FIT,
  );

  const createdAt = created.toISOString();
  const meta = { unit: 's', backend: { name: backend.name, version: backend.version }, createdAt };
  const source = `calibrated ${createdAt.slice(0, 10)} with ${o.meter.simulated ? 'the SIMULATED meter' : `meter ${o.meter.label}`} on ${backend.name} ${backend.version}, ${thisMachine().cpuModel} × ${thisMachine().cores}`;
  const latency = tableFromFit(cat, latencyFit, { ...meta, name: `calibrated:${name}:latency`, kind: 'latency', source: `${source}; measured durations` });
  const active = tableFromFit(cat, energyFit, { ...meta, name: `calibrated:${name}:active`, kind: 'energy', unit: 'J', source });
  const energy = combineTables(active, latency, idle, {
    ...meta,
    name: `calibrated:${name}:energy`,
    kind: 'energy',
    unit: 'J',
    source: `${source}; measured energy = active fit + ${idle.toPrecision(4)} W idle × latency`,
  });

  const heldOut = evaluateHeldOut(held, energy, latency, analyticEnergyTable(cat.layout, ENERGY_PRESETS['horowitz-45nm']!));
  const measuredMape = weightedMean(train.flatMap((d) => energyErrors(d.obs, energy)));

  // What the tables say: the engine's own minimum-budget logic with the tables in place.
  await engine.useCostTables({ energy, latency });
  const withTables = await engine.modelInfo();
  await engine.useCostTables(null);
  const staticCharges: Charge[] = [...cat.layout.trunk.map((u) => ({ id: u.id, kept: cat.info(u.id).channels })), { id: 'classifier', kept: 0 }];
  const minimumBudgets = {
    radi: { energyJ: withTables?.minimumBudgets.radi.energy ?? null, latencyS: withTables?.minimumBudgets.radi.latency ?? null },
    ddi: { energyJ: withTables?.minimumBudgets.ddi.energy ?? null, latencyS: withTables?.minimumBudgets.ddi.latency ?? null },
  };
  const fitReport = (f: FitResult): FitReport => ({ intercept: f.intercept, interceptSe: f.interceptSe, parameters: f.parameters, residuals: f.residuals });
  const runs = done.map((d) => ({
    sessionId: d.results[0]!.sessionId,
    sessionIds: d.results.map((r) => r.sessionId),
    mode: d.planned.mode,
    budget: d.planned.budget,
    heldOut: d.planned.heldOut,
    attribution: d.obs.attribution,
    energySetAside: d.obs.energySetAside,
    inferences: d.obs.inferences.length,
    energyObservations: d.obs.energy.length,
    energyMeanCi95: meanEnergyCi95(d.obs),
  }));
  const worstCi95 = runs.some((r) => r.energyMeanCi95 === null) ? null : Math.max(...runs.map((r) => r.energyMeanCi95!));
  const precisionReport = { target: precision, maxDurationS, maxExtraRounds, extraRounds, worstCi95, reached: worstCi95 !== null && worstCi95 <= precision };
  const table: CalibratedTable = {
    format: 'ddi-profiler-calibrated-cost-table',
    name,
    createdAt,
    model: { name: info.name, hash },
    machine: thisMachine(),
    backend: { name: backend.name, version: backend.version },
    meter: o.meter,
    idlePowerW: idle,
    energy,
    latency,
    report: {
      runs,
      precision: precisionReport,
      fit: { energy: { ...fitReport(energyFit), measuredMape }, latency: fitReport(latencyFit) },
      heldOut,
      minimumBudgets,
    },
  };
  const path = saveCalibratedTable(o.tablesDir, table);
  return {
    costTable: {
      name,
      path,
      model: table.model,
      backend: table.backend,
      machine: table.machine,
      meter: table.meter,
      createdAt,
      idlePowerW: idle,
      energyTable: energy.name,
      latencyTable: latency.name,
    },
    simulated: o.meter.simulated,
    runs,
    precision: precisionReport,
    fit: { energy: { ...fitReport(energyFit), measuredMape }, latency: fitReport(latencyFit) },
    heldOut,
    minimumBudgets,
    staticPrediction: { energyJ: predictCost(energy, staticCharges), latencyS: predictCost(latency, staticCharges) },
  };
}

/** Refuses a number of segments that leaves fewer than FIT_POOL inferences in one. */
export function checkSegments(segments: number, limit: number): void {
  if (!Number.isInteger(segments) || segments < 1 || segments > maxSegments(limit)) {
    throw new UserError(
      `${segments} segments cannot split ${limit} inferences per run; use 1 to ${maxSegments(limit)} segments (at least ${FIT_POOL} inferences each).`,
      'bad-segments',
    );
  }
}

function weightedMean(xs: { v: number; w: number }[]): number {
  const w = xs.reduce((s, x) => s + x.w, 0);
  return w > 0 ? xs.reduce((s, x) => s + x.v * x.w, 0) / w : 0;
}

/** Per energy observation of a run: |predicted − measured| / measured, weighted by its inferences. */
function energyErrors(obs: RunObservations, table: CostTable): { v: number; w: number }[] {
  const bySeq = new Map(obs.inferences.map((i) => [i.seq, i]));
  return obs.energyGroups.map((g) => {
    const pred = g.seqs.reduce((s, q) => s + predictCost(table, bySeq.get(q)!.charges), 0) / g.seqs.length;
    return { v: Math.abs(pred - g.measuredJ) / g.measuredJ, w: g.seqs.length };
  });
}

/**
 * Half-width of the 95 % interval of a run's mean measured energy per inference, relative to it
 * (Student's t over its energy observations), or null with fewer than two.
 */
export function meanEnergyCi95(obs: Pick<RunObservations, 'energyGroups'>): number | null {
  const perObs = obs.energyGroups.map((g) => g.measuredJ);
  return perObs.length >= 2 ? (t975(perObs.length - 1) * sampleSd(perObs)) / Math.sqrt(perObs.length) / Math.abs(mean(perObs)) : null;
}

function evaluateHeldOut(held: Done, energy: CostTable, latency: CostTable, analytic: CostTable): HeldOutError {
  const bySeq = new Map(held.obs.inferences.map((i) => [i.seq, i]));
  const groupPred = (t: CostTable, seqs: number[]) => seqs.reduce((s, q) => s + predictCost(t, bySeq.get(q)!.charges), 0) / seqs.length;
  const groups = held.obs.energyGroups;
  const mape = (t: CostTable) => (groups.length ? weightedMean(energyErrors(held.obs, t)) : null);
  const n = groups.reduce((s, g) => s + g.seqs.length, 0);
  const measuredTotal = groups.reduce((s, g) => s + g.measuredJ * g.seqs.length, 0);
  const predictedTotal = groups.reduce((s, g) => s + groupPred(energy, g.seqs) * g.seqs.length, 0);
  const meanError = n ? predictedTotal / measuredTotal - 1 : null;
  // The measured mean's own uncertainty, from its observations' spread (Student's t): an error
  // within it is as good as this run can tell.
  const ci95 = meanEnergyCi95(held.obs);
  const lat = held.obs.inferences.filter((i) => i.durationS > 0);
  const latMeasured = lat.reduce((s, i) => s + i.durationS, 0);
  const latPredicted = lat.reduce((s, i) => s + predictCost(latency, i.charges), 0);
  return {
    sessionId: held.results[0]!.sessionId,
    sessionIds: held.results.map((r) => r.sessionId),
    mode: held.planned.mode,
    budget: held.planned.budget,
    attribution: held.obs.attribution,
    observations: groups.length,
    energyMape: mape(energy),
    energyMeanError: meanError,
    energyMeanCi95: ci95,
    energyTotalError: meanError === null ? null : Math.abs(meanError),
    measuredEnergyPerInferenceJ: n ? measuredTotal / n : null,
    predictedEnergyPerInferenceJ: n ? predictedTotal / n : null,
    analyticEnergyMape: mape(analytic),
    latencyMape: lat.length ? lat.reduce((s, i) => s + Math.abs(predictCost(latency, i.charges) - i.durationS) / i.durationS, 0) / lat.length : null,
    latencyMeanError: lat.length ? latPredicted / latMeasured - 1 : null,
  };
}

/** A stored table by name from the folder beside the database. */
export function loadTableFor(dbPath: string | undefined, name: string): CalibratedTable {
  return loadCalibratedTable(calibratedTablesDir(dbPath), name);
}
