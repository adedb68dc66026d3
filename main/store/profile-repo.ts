/**
 * What a profiling run stores besides the trace: its markers (phases, alignment, baseline, the run's
 * description and results) and one row per inference. Times are session-relative ns.
 */
import type { InferenceRecord } from '../ddi/types';
import type { Db } from './database';

export interface MarkerInput {
  tNs: number;
  endNs: number | null;
  kind: string;
  label: string;
  data: unknown;
}

export interface MarkerRow {
  id: number;
  t_ns: number;
  end_ns: number | null;
  kind: string;
  label: string;
  data: string | null;
}

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
  constructor(private readonly db: Db) {}

  addMarker(sessionId: number, m: MarkerInput): number {
    const r = this.db
      .prepare('INSERT INTO markers (session_id, t_ns, end_ns, kind, label, data) VALUES (?, ?, ?, ?, ?, ?)')
      .run(sessionId, Math.round(m.tNs), m.endNs === null ? null : Math.round(m.endNs), m.kind, m.label, m.data === null ? null : JSON.stringify(m.data));
    return Number(r.lastInsertRowid);
  }

  /** Replaces the markers of one kind (analysis results are recomputed, never appended twice). */
  replaceMarkers(sessionId: number, kind: string, markers: MarkerInput[]): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM markers WHERE session_id = ? AND kind = ?').run(sessionId, kind);
      for (const m of markers) this.addMarker(sessionId, { ...m, kind });
    })();
  }

  markers(sessionId: number, kind?: string): MarkerRow[] {
    return (
      kind === undefined
        ? this.db.prepare('SELECT id, t_ns, end_ns, kind, label, data FROM markers WHERE session_id = ? ORDER BY t_ns, id').all(sessionId)
        : this.db.prepare('SELECT id, t_ns, end_ns, kind, label, data FROM markers WHERE session_id = ? AND kind = ? ORDER BY t_ns, id').all(sessionId, kind)
    ) as MarkerRow[];
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
