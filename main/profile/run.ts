/**
 * A profiling run: one session of kind 'profile' holding the meter trace and every inference.
 * Sequence (each phase a marker with its host-time interval): meter streaming → recording starts →
 * warm-up inferences (not counted) → idle baseline → alignment pattern → the inferences, batch 1,
 * one after another → closing idle → stop (drained). Inference and the pattern run in the engine
 * worker so meter ingest on this thread stays lossless; the analysis (alignment, attribution,
 * budgets) runs on the stored trace afterwards, so it can be repeated on any stored run.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, platform, release, arch } from 'node:os';
import { join } from 'node:path';
import type { AppCore } from '../core/app-core';
import { APP_VERSION } from '../core/version';
import { parseBudget } from '../domain/budget';
import type { Budget, InferenceMode, InferenceRecord } from '../ddi/types';
import type { EngineWorkerHost } from '../ddi/worker/host';
import { monotonicNs } from '../util/clock';
import { UserError } from '../util/errors';
import { analyzeProfileSession, type ProfileResult } from './analyze';
import type { BudgetSpec } from './budget-check';
import { makePattern, type PatternSchedule } from './pattern';
import type { BusyPatternResult } from '../ddi/worker/busy-pattern';
import { ProfileRepo } from '../store/profile-repo';
import type { CalibratedTable } from './calibrate/store';
import { checkTableForModel, enforcedBudget, measuredCompliance, type MeasuredCompliance } from './calibrate/use';

export interface ProfileOptions {
  model: string;
  dataset: string;
  limit: number;
  /** Index of the first image (default 0): a run can measure a slice of the dataset (calibration segments). */
  offset?: number;
  mode: InferenceMode;
  budget?: string | null;
  /** Stored budgets to check besides the run's own hard budget (resolved by name by the caller). */
  checks?: BudgetSpec[];
  baselineS?: number;
  closingS?: number;
  warmup?: number;
  name?: string;
  /** A calibrated cost table (profile/calibrate/) that predicts and enforces energy and latency. */
  costTable?: CalibratedTable | null;
  /** Fraction by which the enforced budget is below the nominal one (the checks use the nominal). */
  margin?: number;
}

/** The hard budget as checked (nominal) and as enforced by the engine, and the tables behind it. */
export interface BudgetEnforcement {
  nominal: Budget | null;
  enforced: Budget | null;
  margin: number;
  costTable: string | null;
  energyTable: string | null;
  latencyTable: string | null;
}

export type ProfilePhase = 'warmup' | 'baseline' | 'alignment' | 'inferences' | 'closing' | 'analysis';

export interface ProfileProgress {
  sessionId: number;
  phase: ProfilePhase;
  done: number;
  total: number;
  elapsedS: number;
  etaS: number | null;
}

/** Inferences per engine request: small enough that progress and cancel respond within a blink. */
const REQUEST_SIZE = 10;

export class ProfileRun {
  private cancelled = false;
  /** Called once the run's session exists (before the warm-up). */
  onSessionStarted: (sessionId: number) => void = () => undefined;

  constructor(
    private readonly core: AppCore,
    private readonly engine: EngineWorkerHost,
    private readonly modelDir: string,
    private readonly options: ProfileOptions,
    private readonly onProgress: (p: ProfileProgress) => void = () => undefined,
  ) {}

  /** Asks the run to stop after the current engine request; the partial run is kept as 'cancelled'. */
  cancel(): void {
    this.cancelled = true;
  }

  async run(): Promise<ProfileResult & { enforcement: BudgetEnforcement; compliance: MeasuredCompliance | null }> {
    const o = this.options;
    const nominal: Budget | null = o.budget ? parseBudget(o.budget) : null;
    // The engine enforces the budget less the margin; the run is checked against the nominal one.
    const budget: Budget | null = nominal ? enforcedBudget(nominal, o.margin ?? 0) : null;
    if (!(Number.isInteger(o.limit) && o.limit >= 1))
      throw new UserError(`The number of inferences must be a whole number of at least 1, not ${o.limit}.`, 'bad-limit');
    const backend = await this.engine.start();
    let info = await this.engine.loadModel(this.modelDir);
    if (o.costTable) {
      checkTableForModel(o.costTable, this.modelDir, info.name, backend);
      info = await this.engine.useCostTables({ energy: o.costTable.energy, latency: o.costTable.latency });
    }
    const tableOf = (kind: string) => info.costTables.find((t) => t.kind === kind)?.name ?? null;
    const enforcement: BudgetEnforcement = {
      nominal,
      enforced: budget,
      margin: o.margin ?? 0,
      costTable: o.costTable?.name ?? null,
      energyTable: tableOf('energy'),
      latencyTable: tableOf('latency'),
    };
    if (!this.core.meterStatus()) throw new UserError('Connect a meter before profiling (--meter on the CLI, or the Meters page).', 'no-meter');
    const repo = new ProfileRepo(this.core.db);
    const checks = o.checks ?? [];
    // One inference on the last image the run will use: a bad mode/budget pair, dataset or limit
    // fails here, before anything is recorded.
    const offset = o.offset ?? 0;
    await this.engine.inferDataset(o.dataset, [offset + o.limit - 1], { mode: o.mode, budget, batchSize: 1 });

    const session = this.core.startRecording(o.name ?? `Profile ${info.name} ${o.mode}${o.budget ? ` ${o.budget}` : ''}`, undefined, {
      kind: 'profile',
      model: info.name,
      backend: backend.name,
    });
    const sessionId = session.id;
    this.onSessionStarted(sessionId);
    const t0 = session.startMonoNs;
    const started = monotonicNs();
    const rel = (ns: number): number => ns - t0;
    const phase = (label: ProfilePhase, fromNs: number, toNs: number, data?: unknown): void => {
      repo.addMarker(sessionId, { tNs: rel(fromNs), endNs: rel(toNs), kind: 'phase', label, data: data ?? null });
    };
    const progress = (p: ProfilePhase, done: number, total: number): void => {
      const elapsedS = (monotonicNs() - started) / 1e9;
      this.onProgress({ sessionId, phase: p, done, total, elapsedS, etaS: null });
    };
    const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, os: `${platform()} ${release()} ${arch()}` };
    repo.setRunInfo(sessionId, {
      model: info.name,
      modelDir: this.modelDir,
      modelHash: modelHash(this.modelDir),
      dataset: o.dataset,
      ...(offset > 0 ? { firstImage: offset } : {}),
      mode: o.mode,
      budget: nominal ? { kind: nominal.kind, value: nominal.value, text: nominal.text ?? o.budget ?? null } : null,
      backend: backend.name,
      executor: backend.name,
      machine,
      appVersion: APP_VERSION,
      checks: checks.map((b) => b.name),
    });
    repo.addMarker(sessionId, { tNs: 0, endNs: null, kind: 'budget', label: enforcement.costTable ?? 'default tables', data: enforcement });

    let status: 'complete' | 'cancelled' | 'incomplete' = 'complete';
    let reason: string | undefined;
    try {
      const params = { mode: o.mode, budget, batchSize: 1 };
      // Warm-up: JIT, caches and the backend's kernels; not counted.
      const warmup = Math.max(0, o.warmup ?? 20);
      if (warmup > 0) {
        progress('warmup', 0, warmup);
        const w0 = monotonicNs();
        await this.engine.inferDataset(o.dataset, indicesFor(warmup, offset), params);
        phase('warmup', w0, monotonicNs(), { count: warmup });
      }
      // Idle baseline: nothing of ours runs; what the meter sees is the board at rest.
      const baselineS = o.baselineS ?? 2;
      progress('baseline', 0, 1);
      const b0 = monotonicNs();
      await sleepUntil(b0 + baselineS * 1e9, () => this.cancelled);
      phase('baseline', b0, monotonicNs());
      // Alignment pattern on the inference thread.
      const schedule = makePattern();
      progress('alignment', 0, 1);
      const p = await this.quietly(() => this.engine.busyPattern(schedule.slotNs, schedule.bits));
      phase('alignment', p.startNs, p.endNs, patternData(schedule, p, t0));
      // The inferences, batch 1, one after another.
      const records: InferenceRecord[] = [];
      const i0 = monotonicNs();
      const total = o.limit;
      for (let done = 0; done < total && !this.cancelled;) {
        if (this.meterLost()) {
          status = 'incomplete';
          break;
        }
        const n = Math.min(REQUEST_SIZE, total - done);
        const batch = await this.quietly(() => this.engine.inferDataset(o.dataset, indicesFor(n, offset + done), params));
        repo.addInferences(sessionId, t0, batch, records.length);
        records.push(...batch);
        done += n;
        const elapsedS = (monotonicNs() - i0) / 1e9;
        this.onProgress({
          sessionId,
          phase: 'inferences',
          done,
          total,
          elapsedS: (monotonicNs() - started) / 1e9,
          etaS: done > 0 ? (elapsedS / done) * (total - done) + (o.closingS ?? 1) : null,
        });
      }
      phase('inferences', i0, monotonicNs(), { count: records.length, planned: total });
      // A second pattern after the inferences: with the first it gives the meter clock's drift.
      if (!this.cancelled && !this.meterLost()) {
        const q = await this.quietly(() => this.engine.busyPattern(schedule.slotNs, schedule.bits));
        phase('alignment', q.startNs, q.endNs, patternData(schedule, q, t0));
      }
      if (this.cancelled) {
        status = 'cancelled';
        reason = `Cancelled after ${records.length} of ${total} inferences.`;
      }
      // Closing idle: lets the trace settle after the last inference (and catches late samples).
      const c0 = monotonicNs();
      progress('closing', 0, 1);
      await sleepUntil(c0 + (o.closingS ?? 1) * 1e9, () => false);
      phase('closing', c0, monotonicNs());
    } finally {
      const summary = await this.core.stopRecording(reason, status === 'complete' ? undefined : status);
      if (summary.status === 'incomplete') status = 'incomplete';
    }
    progress('analysis', 0, 1);
    const result = analyzeProfileSession(this.core.db, sessionId, checks);
    return { ...result, enforcement, compliance: measuredCompliance(result, nominal) };
  }

  /**
   * Runs engine work with the recording's writes held back (AppCore.deferStorage): they happen
   * between requests, while the inference thread waits, instead of preempting it mid-inference on a
   * board whose other cores are busy — where a chunk write stretched the inference it hit by
   * milliseconds and put its own energy into that inference's measurement.
   */
  private async quietly<T>(work: () => Promise<T>): Promise<T> {
    const release = this.core.deferStorage();
    try {
      return await work();
    } finally {
      release();
    }
  }

  private meterLost(): boolean {
    const s = this.core.meterStatus();
    return !s || s.state === 'error' || s.state === 'closed';
  }
}

/** What the analysis needs of an executed pattern: the schedule and when its edges really happened. */
function patternData(schedule: PatternSchedule, r: BusyPatternResult, t0: number) {
  return { slotNs: schedule.slotNs, bits: schedule.bits, lateNs: r.lateNs, riseLateNs: r.riseLateNs, edgesNs: r.edgesNs.map((e) => e - t0) };
}

/** Dataset indices skip … skip+n−1 (the warm-up reuses the first images; they are not counted). */
function indicesFor(n: number, skip: number): number[] {
  return Array.from({ length: n }, (_, i) => skip + i);
}

async function sleepUntil(tNs: number, stop: () => boolean): Promise<void> {
  while (!stop()) {
    const left = (tNs - monotonicNs()) / 1e6;
    if (left <= 0) return;
    await new Promise((r) => setTimeout(r, Math.min(left, 100)));
  }
}

/** SHA-256 over model.json and weights.bin: which exact model a run measured. */
export function modelHash(dir: string): string {
  const h = createHash('sha256');
  for (const f of ['model.json', 'weights.bin']) {
    const p = join(dir, f);
    if (existsSync(p)) h.update(readFileSync(p));
  }
  return h.digest('hex');
}
