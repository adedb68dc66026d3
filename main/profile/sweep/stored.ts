/**
 * Sweeps as stored: every run of a sweep carries a 'sweep' marker with the sweep's id, model and
 * budget (sweep.ts). Listing reads those markers; a sweep's curve rebuilds each point from the run's
 * stored result through the sweep's own sweepPoint(), so the app shows what `ddi-profiler sweep`
 * printed. Budgets a sweep skipped were never run and are not stored.
 */
import type { Budget, InferenceMode } from '../../ddi/types';
import type { Db } from '../../store/database';
import { ProfileRepo } from '../../store/profile-repo';
import { UserError } from '../../util/errors';
import type { ProfileResult } from '../analyze';
import { measuredCompliance } from '../calibrate/use';
import type { BudgetEnforcement } from '../run';
import { sweepPoint, type SweepPoint, type SweepResult } from './sweep';

interface SweepMarker {
  sessionId: number;
  sweepId: string;
  model: string;
  budget: string;
  point: number;
  startedAt: string;
}

export interface SweepListItem {
  sweepId: string;
  createdAt: string;
  models: string[];
  points: number;
  sessionIds: number[];
}

function sweepMarkers(db: Db): SweepMarker[] {
  const rows = db
    .prepare(
      `SELECT m.session_id AS sessionId, m.data AS data, s.started_at AS startedAt
       FROM markers m JOIN sessions s ON s.id = m.session_id
       WHERE m.kind = 'sweep' ORDER BY m.session_id`,
    )
    .all() as { sessionId: number; data: string | null; startedAt: string }[];
  const out: SweepMarker[] = [];
  for (const r of rows) {
    let d: Partial<{ sweepId: unknown; model: unknown; budget: unknown; point: unknown }> = {};
    try {
      d = r.data ? (JSON.parse(r.data) as typeof d) : {};
    } catch {
      continue; // a marker the app cannot read is not part of any sweep it can show
    }
    if (typeof d.sweepId !== 'string' || typeof d.model !== 'string' || typeof d.budget !== 'string') continue;
    out.push({
      sessionId: r.sessionId,
      sweepId: d.sweepId,
      model: d.model,
      budget: d.budget,
      point: typeof d.point === 'number' ? d.point : out.length + 1,
      startedAt: r.startedAt,
    });
  }
  return out;
}

/** Every stored sweep, newest first. */
export function listSweeps(db: Db): SweepListItem[] {
  const bySweep = new Map<string, SweepMarker[]>();
  for (const m of sweepMarkers(db)) bySweep.set(m.sweepId, [...(bySweep.get(m.sweepId) ?? []), m]);
  return [...bySweep.entries()]
    .map(([sweepId, ms]) => ({
      sweepId,
      createdAt: ms.map((m) => m.startedAt).sort()[0]!,
      models: [...new Set(ms.map((m) => m.model))],
      points: ms.length,
      sessionIds: ms.map((m) => m.sessionId),
    }))
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
}

function parseData<T>(data: string | null | undefined): T | null {
  if (!data) return null;
  try {
    return JSON.parse(data) as T;
  } catch {
    return null;
  }
}

/** A stored sweep's curves, one per model in the order its points ran. */
export function storedSweep(db: Db, sweepId: string): SweepResult {
  const markers = sweepMarkers(db)
    .filter((m) => m.sweepId === sweepId)
    .sort((a, b) => a.point - b.point);
  if (markers.length === 0) throw new UserError(`No sweep "${sweepId}" is stored in this database; pick one from the list of sweeps.`, 'no-sweep');
  const repo = new ProfileRepo(db);
  const result: SweepResult = { sweepId, createdAt: markers.map((m) => m.startedAt).sort()[0]!, simulated: false, curves: [] };
  for (const m of markers) {
    const r = parseData<ProfileResult>(repo.markers(m.sessionId, 'profile')[0]?.data);
    if (!r) continue; // a run that never reached its analysis has no point on the curve
    const enforcement = parseData<BudgetEnforcement>(repo.markers(m.sessionId, 'budget')[0]?.data);
    const info = repo.runInfo(m.sessionId);
    // The nominal budget the run was checked against; runs from before the budget marker keep it in their run info.
    const nominal: Budget | null =
      enforcement?.nominal ??
      (info?.budget ? ({ kind: info.budget.kind, value: info.budget.value, ...(info.budget.text ? { text: info.budget.text } : {}) } as Budget) : null);
    if (!nominal) continue;
    const mode = (info?.mode ?? r.mode) as InferenceMode;
    const costTable = enforcement?.costTable ?? null;
    result.simulated ||= r.simulated;
    let curve = result.curves.find((c) => c.model === m.model);
    if (!curve) {
      curve = { model: m.model, mode, costTable, points: [] as SweepPoint[], skipped: [] };
      result.curves.push(curve);
    }
    curve.points.push(
      sweepPoint(
        { model: m.model, mode, budget: m.budget, budgetKind: nominal.kind, budgetValue: nominal.value, costTable },
        { ...r, sessionId: m.sessionId, compliance: measuredCompliance(r, nominal) },
        repo.inferences(m.sessionId),
      ),
    );
  }
  return result;
}
