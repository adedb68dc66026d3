/**
 * What a profiling run stores besides the trace: its markers (phases, alignment, baseline, the run's
 * description and results) and one row per inference. Times are session-relative ns.
 */
import type { InferenceRecord } from '../ddi/types';
import type { Db } from './database';
import { MarkersRepo, type MarkerInput, type MarkerRow } from './markers-repo';

export type { MarkerInput, MarkerRow } from './markers-repo';

export interface InferenceRow {
  seq: number;
  start_ns: number;
  end_ns: number;
  mode: string;
  budget_value: number | null;
  budget_unit: string | null;
  exit_index: number | null;
  macs: number;
  predicted_latency_s: number | null;
  predicted_energy_j: number | null;
  label: number | null;
  prediction: number | null;
  measured_energy_j: number | null;
  active_energy_j: number | null;
  record: string;
}

/** The run's description, stored as the 'run' marker at t = 0. */
export interface RunInfo {
  model: string;
  modelDir: string;
  modelHash: string;
  dataset: string;
  /** Index of the first image measured, when not 0 (a calibration segment). */
  firstImage?: number;
  mode: string;
  budget: { kind: string; value: number; text: string | null } | null;
  backend: string;
  executor: string;
  machine: { cpu: string; cores: number; os: string };
  appVersion: string;
  checks: string[];
}

const BUDGET_UNIT: Record<string, string> = { macs: 'MAC', latency: 's', energy: 'J' };

export class ProfileRepo {
  private readonly markerStore: MarkersRepo;

  constructor(private readonly db: Db) {
    this.markerStore = new MarkersRepo(db);
  }

  addMarker(sessionId: number, m: MarkerInput): number {
    return this.markerStore.add(sessionId, m);
  }

  /** Replaces the markers of one kind (analysis results are recomputed, never appended twice). */
  replaceMarkers(sessionId: number, kind: string, markers: MarkerInput[]): void {
    this.markerStore.replaceKind(sessionId, kind, markers);
  }

  markers(sessionId: number, kind?: string): MarkerRow[] {
    return this.markerStore.list(sessionId, kind === undefined ? undefined : [kind]);
  }

  setRunInfo(sessionId: number, info: RunInfo): void {
    this.replaceMarkers(sessionId, 'run', [{ tNs: 0, endNs: null, kind: 'run', label: `${info.model} ${info.mode}`, data: info }]);
  }

  runInfo(sessionId: number): RunInfo | null {
    const m = this.markers(sessionId, 'run')[0];
    return m?.data ? (JSON.parse(m.data) as RunInfo) : null;
  }

  /** Stores engine records as inference rows; host-monotonic times become session-relative. */
  addInferences(sessionId: number, sessionStartMonoNs: number, records: InferenceRecord[], firstSeq: number): void {
    const insert = this.db.prepare(
      `INSERT INTO inferences (session_id, seq, start_ns, end_ns, mode, budget_value, budget_unit, exit_index, macs,
         predicted_latency_s, predicted_energy_j, label, prediction, record)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      records.forEach((r, i) => {
        insert.run(
          sessionId,
          firstSeq + i,
          Math.round(r.startNs - sessionStartMonoNs),
          Math.round(r.endNs - sessionStartMonoNs),
          r.mode,
          r.budget?.value ?? null,
          r.budget ? (BUDGET_UNIT[r.budget.kind] ?? r.budget.kind) : null,
          r.exit,
          r.macs,
          r.predictedLatencyS,
          r.predictedEnergyJ,
          r.label ?? null,
          r.predictedClass,
          JSON.stringify(r),
        );
      });
    })();
  }

  inferences(sessionId: number): InferenceRow[] {
    return this.db
      .prepare(
        `SELECT seq, start_ns, end_ns, mode, budget_value, budget_unit, exit_index, macs, predicted_latency_s,
                predicted_energy_j, label, prediction, measured_energy_j, active_energy_j, record
         FROM inferences WHERE session_id = ? ORDER BY seq`,
      )
      .all(sessionId) as InferenceRow[];
  }

  setMeasured(sessionId: number, values: { seq: number; measuredEnergyJ: number | null; activeEnergyJ: number | null }[]): void {
    const update = this.db.prepare('UPDATE inferences SET measured_energy_j = ?, active_energy_j = ? WHERE session_id = ? AND seq = ?');
    this.db.transaction(() => {
      for (const v of values) update.run(v.measuredEnergyJ, v.activeEnergyJ, sessionId, v.seq);
    })();
  }
}
