/**
 * What a profiling session adds to its export: one row per inference (the `inferences` table) and
 * the run's alignment, idle baseline and budget results (from its `alignment`, `baseline` and
 * `profile` markers). Times are nanoseconds from the session's start, like every *_ns column.
 */
import type { Db } from '../store/database';
import type { InferenceRow } from '../store/profile-repo';

export interface InferenceExport {
  seq: number;
  startNs: number;
  endNs: number;
  mode: string;
  budget: { value: number; unit: string | null } | null;
  exit: number | null;
  macs: number;
  predictedEnergyJ: number | null;
  predictedLatencyS: number | null;
  measuredEnergyJ: number | null;
  activeEnergyJ: number | null;
  label: number | null;
  prediction: number | null;
  /** From the engine's record: whether this inference stayed within its hard budget. */
  withinBudget: boolean | null;
}

export interface AlignmentExport {
  offsetNs: number | null;
  driftPpm: number | null;
  uncertaintyNs: number | null;
  method: string | null;
}

export interface BaselineExport {
  startNs: number;
  endNs: number | null;
  meanPowerW: number | null;
}

interface MarkerRow {
  t_ns: number;
  end_ns: number | null;
  data: string | null;
}

export function readInferences(db: Db, sessionId: number): InferenceExport[] {
  const rows = db
    .prepare(
      `SELECT seq, start_ns, end_ns, mode, budget_value, budget_unit, exit_index, macs, predicted_latency_s,
              predicted_energy_j, label, prediction, measured_energy_j, active_energy_j, record
       FROM inferences WHERE session_id = ? ORDER BY seq`,
    )
    .all(sessionId) as InferenceRow[];
  return rows.map((r) => {
    const record = parseObject(r.record);
    return {
      seq: r.seq,
      startNs: r.start_ns,
      endNs: r.end_ns,
      mode: r.mode,
      budget: r.budget_value === null ? null : { value: r.budget_value, unit: r.budget_unit },
      exit: r.exit_index,
      macs: r.macs,
      predictedEnergyJ: r.predicted_energy_j,
      predictedLatencyS: r.predicted_latency_s,
      measuredEnergyJ: r.measured_energy_j,
      activeEnergyJ: r.active_energy_j,
      label: r.label,
      prediction: r.prediction,
      withinBudget: typeof record?.withinBudget === 'boolean' ? record.withinBudget : null,
    };
  });
}

/** The session's clock anchor, exact: host CLOCK_MONOTONIC ns as a decimal string (it may exceed 2^53). */
export function readStartMonoNs(db: Db, sessionId: number): string {
  const row = db.prepare('SELECT start_mono_ns FROM sessions WHERE id = ?').safeIntegers(true).get(sessionId) as { start_mono_ns: bigint } | undefined;
  return row ? row.start_mono_ns.toString() : '';
}

export function readAlignment(db: Db, sessionId: number): AlignmentExport | null {
  const m = lastMarker(db, sessionId, 'alignment');
  if (!m) return null;
  const d = parseObject(m.data) ?? {};
  return { offsetNs: num(d.offsetNs), driftPpm: num(d.driftPpm), uncertaintyNs: num(d.uncertaintyNs), method: str(d.method) };
}

export function readBaseline(db: Db, sessionId: number): BaselineExport | null {
  const m = lastMarker(db, sessionId, 'baseline');
  if (!m) return null;
  return { startNs: m.t_ns, endNs: m.end_ns, meanPowerW: num(parseObject(m.data)?.meanPowerW) };
}

/** The budgets the run was checked against, with their results, as the run stored them. */
export function readBudgetResults(db: Db, sessionId: number): unknown[] {
  const budgets = parseObject(lastMarker(db, sessionId, 'profile')?.data ?? null)?.budgets;
  return Array.isArray(budgets) ? budgets : [];
}

function lastMarker(db: Db, sessionId: number, kind: string): MarkerRow | undefined {
  return db.prepare('SELECT t_ns, end_ns, data FROM markers WHERE session_id = ? AND kind = ? ORDER BY t_ns DESC, id DESC LIMIT 1').get(sessionId, kind) as
    MarkerRow | undefined;
}

/** A stored JSON object (an engine record, a marker's data), or undefined when the text is missing or not one (an export never fails on it). */
export function parseObject(text: string | null): Record<string, unknown> | undefined {
  if (!text) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/**
 * The per-inference CSV: snake_case columns, with the unit as the suffix where there is one (as in
 * the samples CSV), in the order of the JSON export's fields; `budget` becomes budget_value and
 * budget_unit. Empty field = no value.
 */
export const INFERENCE_CSV_HEADER = [
  'seq',
  'start_ns',
  'end_ns',
  'mode',
  'budget_value',
  'budget_unit',
  'exit',
  'macs',
  'predicted_energy_J',
  'predicted_latency_s',
  'measured_energy_J',
  'active_energy_J',
  'label',
  'prediction',
  'within_budget',
].join(',');

export function inferenceCsvLine(r: InferenceExport): string {
  return [
    r.seq,
    r.startNs,
    r.endNs,
    csvText(r.mode),
    r.budget?.value,
    csvText(r.budget?.unit ?? null),
    r.exit,
    r.macs,
    r.predictedEnergyJ,
    r.predictedLatencyS,
    r.measuredEnergyJ,
    r.activeEnergyJ,
    r.label,
    r.prediction,
    r.withinBudget,
  ]
    .map((v) => (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? '' : String(v)))
    .join(',');
}

function csvText(v: string | null): string | null {
  if (v === null) return null;
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}
