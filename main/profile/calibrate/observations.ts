/**
 * Observations for the cost fit from one stored, analysed profiling run.
 *
 * - Latency: every inference's measured duration (host clock, end − start of its engine call).
 * - Energy, per-inference mode: every inference's measured energy over its window, with its
 *   duration (calibrate.ts subtracts one idle power × duration for all runs, see there).
 * - Energy, window mode: one observation per window — its measured energy per inference and its
 *   inferences' mean features and duration, weighted by their number. The model is linear in the
 *   features, so a window's mean is an observation of the same model (fit.ts); inferences are
 *   assigned to windows exactly as the attribution did (by aligned start time).
 *
 * Per-inference observations (energy and latency) are pooled FIT_POOL consecutive inferences at a
 * time before the fit (poolObservations). An executor's cost per inference is heavy-tailed — a
 * kept-channel pattern not in its cache builds a graph (milliseconds against a fraction of one), a
 * collection pauses the thread — and those costs are real and recur at a steady rate, so the table
 * must carry their mean; the fit's outlier rule, applied to single inferences, would drop exactly
 * them and predict too little, and it is off for the pools (POOLED_FIT). A pool spans many
 * scheduler ticks, too, so CPU time the kernel accounts late (at the next 4 ms tick) mostly stays
 * inside the pool it belongs to.
 */
import type { Db } from '../../store/database';
import { ProfileRepo, type InferenceRow } from '../../store/profile-repo';
import { hostToTraceNs } from '../alignment';
import type { ProfileResult } from '../analyze';
import type { EnergyWindow } from '../attribution';
import { chargesOf, featuresOf, meanFeatures, type Charge, type InferenceFeatures, type RecordView, type UnitCatalog } from './features';
import type { FitOptions, Observation } from './fit';
import { FIT_POOL } from '../../domain/calibration-segments';

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
}

/** An energy observation: measured energy per inference (J) and its inferences' mean duration (s). */
export interface EnergyObservation extends Observation {
  durationS: number;
}

/** Consecutive per-inference observations pooled into one (see the header). */
export { FIT_POOL };

/**
 * How calibration fits its pooled observations: every pool is kept. A pool is already an average
 * over FIT_POOL inferences; the pools that stand out are those holding a burst of the tail (graph
 * builds while the executor's cache fills, a stretch with the thread descheduled), and the run's
 * mean includes them. Left out at 5 robust SD (2–4 % of the pools), the table put the fitted gated
 * runs' own means 1–15 % too low on the outside-style emulator (docs/benchmarks.md, bench:calibrate).
 */
export const POOLED_FIT: FitOptions = { outlierSigma: 0 };

export interface RunObservations {
  sessionId: number;
  attribution: string;
  baselineW: number | null;
  inferences: RunInference[];
  /** Records whose executed units could not be rebuilt (not used). */
  unexplained: number;
  energyGroups: EnergyGroup[];
  latency: Observation[];
  energy: EnergyObservation[];
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
  const latency = poolObservations(
    inferences.map((i) => ({ values: i.features.values, y: i.durationS })),
    FIT_POOL,
  );
  const groups: EnergyGroup[] = [];
  const mode = result.attribution?.mode ?? 'none';
  if (mode === 'per-inference') {
    for (const i of inferences) if (i.measuredEnergyJ !== null) groups.push({ seqs: [i.seq], measuredJ: i.measuredEnergyJ });
  } else if (mode === 'window' && result.windows?.windows.length) {
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
      groups.push({ seqs, measuredJ: w.energyPerInferenceJ });
    });
  }
  const observed = groups.map((g) => {
    const infs = g.seqs.map((s) => bySeq.get(s)!.inf);
    const f = meanFeatures(infs.map((i) => i.features));
    return { values: f.values, y: g.measuredJ, weight: g.seqs.length, durationS: infs.reduce((s, i) => s + i.durationS, 0) / infs.length };
  });
  // Windows already average many inferences; single inferences are pooled.
  const energy = mode === 'per-inference' ? poolEnergy(observed, FIT_POOL) : observed;
  return { sessionId, attribution: mode, baselineW, inferences, unexplained, energyGroups: groups, latency, energy };
}

/**
 * Observations merged `size` at a time in their order (a short last pool included): the weighted
 * mean of their y and of their features, weighted by their summed inference counts. For a model
 * linear in the features this is an observation of the same model, and a fit with an intercept
 * still matches the weighted mean of the single observations.
 */
export function poolObservations(obs: Observation[], size: number): Observation[] {
  const out: Observation[] = [];
  for (let k = 0; k < obs.length; k += size) {
    const part = obs.slice(k, k + size);
    const w = part.reduce((s, o) => s + (o.weight ?? 1), 0);
    const values: Record<string, number> = {};
    for (const o of part) for (const [f, v] of Object.entries(o.values)) values[f] = (values[f] ?? 0) + (v * (o.weight ?? 1)) / w;
    out.push({ values, y: part.reduce((s, o) => s + o.y * (o.weight ?? 1), 0) / w, weight: w });
  }
  return out;
}

/** poolObservations for energy observations, their durations pooled the same way. */
function poolEnergy(obs: EnergyObservation[], size: number): EnergyObservation[] {
  return poolObservations(obs, size).map((p, k) => {
    const part = obs.slice(k * size, (k + 1) * size);
    return { ...p, durationS: part.reduce((s, o) => s + o.durationS * (o.weight ?? 1), 0) / p.weight! };
  });
}

/**
 * One planned run measured as several sessions (calibration segments) seen as one run: the
 * sessions' inferences and observations in order, each session's sequence numbers moved past the
 * previous ones so that they stay unique; the idle power is the mean of the sessions' baselines.
 *
 * Energy comes from the per-inference sessions when there are any. A session whose alignment was
 * not trusted is attributed in window mode, which sums its inferences' integrals over their
 * unaligned host times: with the meter's delay comparable to the spacing of ~1 ms inferences those
 * integrals fall partly on the host work between inferences, so the same run measures a different
 * quantity than in per-inference mode. Its durations (host clock) are used all the same.
 */
export function mergeRunObservations(parts: readonly RunObservations[]): RunObservations & { energySetAside: number[] } {
  if (parts.length === 1) return { ...parts[0]!, energySetAside: [] };
  const perInference = parts.some((p) => p.attribution === 'per-inference');
  const energyFrom = (p: RunObservations) => !perInference || p.attribution === 'per-inference';
  let shift = 0;
  const shifted = parts.map((p) => {
    const at = shift;
    shift += p.inferences.reduce((m, i) => Math.max(m, i.seq + 1), 0);
    return {
      inferences: p.inferences.map((i) => ({ ...i, seq: i.seq + at })),
      energyGroups: energyFrom(p) ? p.energyGroups.map((g) => ({ ...g, seqs: g.seqs.map((q) => q + at) })) : [],
    };
  });
  const baselines = parts.flatMap((p) => (p.baselineW === null ? [] : [p.baselineW]));
  return {
    sessionId: parts[0]!.sessionId,
    attribution: [...new Set(parts.filter(energyFrom).map((p) => p.attribution))].join(', '),
    baselineW: baselines.length ? baselines.reduce((a, b) => a + b, 0) / baselines.length : null,
    inferences: shifted.flatMap((p) => p.inferences),
    unexplained: parts.reduce((n, p) => n + p.unexplained, 0),
    energyGroups: shifted.flatMap((p) => p.energyGroups),
    latency: parts.flatMap((p) => p.latency),
    energy: parts.filter(energyFrom).flatMap((p) => p.energy),
    energySetAside: parts.filter((p) => !energyFrom(p)).map((p) => p.sessionId),
  };
}
