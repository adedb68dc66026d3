/**
 * Observations for the cost fit from one stored, analysed profiling run.
 *
 * - Latency: every inference's measured duration (host clock, end − start of its engine call).
 * - Energy, per-inference mode: every inference's measured active energy (above the idle baseline).
 * - Energy, window mode: one observation per window — its measured energy per inference minus the
 *   baseline power × its inferences' mean duration, with their mean features, weighted by their
 *   number. The model is linear in the features, so a window's mean is an observation of the same
 *   model (fit.ts); inferences are assigned to windows exactly as the attribution did (by aligned
 *   start time).
 */
import type { Db } from '../../store/database';
import { ProfileRepo, type InferenceRow } from '../../store/profile-repo';
import { hostToTraceNs } from '../alignment';
import type { ProfileResult } from '../analyze';
import type { EnergyWindow } from '../attribution';
import { chargesOf, featuresOf, meanFeatures, type Charge, type InferenceFeatures, type RecordView, type UnitCatalog } from './features';
import type { Observation } from './fit';

export interface RunInference {
  seq: number;
  charges: Charge[];
  features: InferenceFeatures;
  durationS: number;
  /** Measured energy (J, total) where attribution resolved this inference. */
  measuredEnergyJ: number | null;
}

export interface EnergyGroup {
  /** The inferences this observation covers (one in per-inference mode, a window's otherwise). */
  seqs: number[];
  /** Measured energy per inference, total (J). */
  measuredJ: number;
  /** The same above the idle baseline (J). */
  activeJ: number;
}

export interface RunObservations {
  sessionId: number;
  attribution: string;
  baselineW: number | null;
  inferences: RunInference[];
  /** Records whose executed units could not be rebuilt (not used). */
  unexplained: number;
  energyGroups: EnergyGroup[];
  latency: Observation[];
  energy: Observation[];
}

interface StoredProfile extends Partial<ProfileResult> {
  windows?: { windows: EnergyWindow[] };
}

export function runObservations(db: Db, sessionId: number, cat: UnitCatalog): RunObservations {
  const repo = new ProfileRepo(db);
  const rows = repo.inferences(sessionId);
  const marker = repo.markers(sessionId, 'profile')[0];
  const result = (marker?.data ? JSON.parse(marker.data) : {}) as StoredProfile;
  const baselineW = result.baseline?.meanPowerW ?? null;
  const inferences: RunInference[] = [];
  let unexplained = 0;
  const bySeq = new Map<number, { row: InferenceRow; inf: RunInference }>();
  for (const row of rows) {
    const charges = chargesOf(cat, JSON.parse(row.record) as RecordView);
    if (!charges) {
      unexplained++;
      continue;
    }
    const inf = {
      seq: row.seq,
      charges,
      features: featuresOf(cat, charges),
      durationS: (row.end_ns - row.start_ns) / 1e9,
      measuredEnergyJ: row.measured_energy_j,
    };
    inferences.push(inf);
    bySeq.set(row.seq, { row, inf });
  }
  const latency = inferences.map((i) => ({ values: i.features.values, y: i.durationS }));
  const groups: EnergyGroup[] = [];
  const mode = result.attribution?.mode ?? 'none';
  if (baselineW !== null && mode === 'per-inference') {
    for (const i of inferences)
      if (i.measuredEnergyJ !== null) groups.push({ seqs: [i.seq], measuredJ: i.measuredEnergyJ, activeJ: i.measuredEnergyJ - baselineW * i.durationS });
  } else if (baselineW !== null && mode === 'window' && result.windows?.windows.length) {
    const wins = result.windows.windows;
    const a = result.alignment;
    // As the attribution: an untrusted offset is not applied; an inference belongs to the window its start falls in.
    const shift = (h: number) => (a?.trusted ? hostToTraceNs(a, h) : h);
    const members: number[][] = wins.map(() => []);
    const starts = rows.map((r) => shift(r.start_ns));
    const phaseStart = wins[0]!.startNs;
    const windowNs = wins[0]!.endNs - wins[0]!.startNs;
    rows.forEach((r, k) => {
      const w = Math.min(wins.length - 1, Math.max(0, Math.floor((starts[k]! - phaseStart) / windowNs)));
      members[w]!.push(r.seq);
    });
    wins.forEach((w, k) => {
      const seqs = members[k]!;
      const all = seqs.map((s) => bySeq.get(s));
      // A window whose count differs from the attribution's, or that holds an unexplained record, is left out.
      if (w.energyPerInferenceJ === null || seqs.length !== w.inferences || seqs.length === 0 || all.some((x) => !x)) return;
      const meanDur = all.reduce((s, x) => s + x!.inf.durationS, 0) / all.length;
      groups.push({ seqs, measuredJ: w.energyPerInferenceJ, activeJ: w.energyPerInferenceJ - baselineW * meanDur });
    });
  }
  const energy = groups.map((g) => {
    const f = meanFeatures(g.seqs.map((s) => bySeq.get(s)!.inf.features));
    return { values: f.values, y: g.activeJ, weight: g.seqs.length };
  });
  return { sessionId, attribution: mode, baselineW, inferences, unexplained, energyGroups: groups, latency, energy };
}
