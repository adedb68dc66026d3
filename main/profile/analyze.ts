/**
 * Analysis of a stored profiling run, from the database alone: the trace (checksum-verified chunks,
 * gaps), the phase markers and the inference rows. Aligns the meter with the host from the pattern(s),
 * attributes energy, checks budgets, and stores the results (inference columns + markers), so a run
 * can be re-analysed at any time with the same answer.
 */
import type { Channel } from '../meters/types';
import { ProfileRepo, type InferenceRow, type MarkerRow } from '../store/profile-repo';
import { readChunks } from '../store/chunk-reader';
import type { Db } from '../store/database';
import { SessionsRepo } from '../store/sessions-repo';
import { alignPatternInChunks, combineAlignments, type Alignment } from './alignment';
import { attribute, PowerTrace, type Attribution } from './attribution';
import { checkBudgets, type BudgetResult, type BudgetSpec } from './budget-check';
import type { PatternSchedule } from './pattern';
import { powerPlane, type PowerChunk, type TraceGap } from './power';
import { nearestRank } from './stats';

export interface ProfileResult {
  sessionId: number;
  status: string;
  statusReason: string | null;
  simulated: boolean;
  model: string;
  mode: string;
  budget: string | null;
  backend: string;
  inferences: number;
  /** How power was obtained: a measured power channel, or current × the nominal supply voltage. */
  powerSource: 'measured' | 'nominal-voltage' | null;
  nominalVoltageV: number | null;
  /** refNs: the host time (session-relative ns) at which the drift term is zero, traceTime = h + offsetNs + driftPpm·1e-6·(h − refNs). */
  alignment:
    (Pick<Alignment, 'offsetNs' | 'driftPpm' | 'refNs' | 'strength' | 'peakRatio' | 'trusted' | 'reason' | 'method'> & { uncertaintyNs: number }) | null;
  attribution: { mode: Attribution['mode'] | 'none'; reason: string };
  baseline: { startNs: number; endNs: number; meanPowerW: number; sdPowerW: number } | null;
  /** Measured energy per inference (J). Per-inference mode: over the inferences; window mode: window estimate. */
  energyPerInference: { mean: number; p50: number; p95: number; p99: number; max: number; activeMean: number | null; ci95: [number, number] | null } | null;
  latencyPerInference: { mean: number; p50: number; p95: number; max: number };
  budgets: BudgetResult[];
}

/** Stored budgets and the run's own hard budget, as the checks of this run. */
function budgetSpecs(run: ReturnType<ProfileRepo['runInfo']>, stored: BudgetSpec[]): BudgetSpec[] {
  const specs = [...stored];
  const b = run?.budget;
  if (b) {
    const metric = b.kind === 'energy' ? 'energy_per_inference' : b.kind === 'latency' ? 'latency_per_inference' : 'macs_per_inference';
    specs.unshift({ name: `hard budget ${b.text ?? b.value}`, metric, value: b.value, unit: b.kind === 'energy' ? 'J' : b.kind === 'latency' ? 's' : 'MAC' });
  }
  return specs;
}

export function analyzeProfileSession(db: Db, sessionId: number, storedChecks: BudgetSpec[] = []): ProfileResult {
  const sessions = new SessionsRepo(db);
  const profile = new ProfileRepo(db);
  const row = sessions.get(sessionId);
  const run = profile.runInfo(sessionId);
  const phases = profile.markers(sessionId, 'phase');
  const rows = profile.inferences(sessionId);
  const channels = JSON.parse(row.channels) as Channel[];
  const { chunks, gaps } = loadPowerTrace(db, sessions, sessionId, row.nominal_voltage_v);
  const trace = new PowerTrace(chunks, gaps);
  const windows = rows.map((r) => ({ seq: r.seq, startNs: r.start_ns, endNs: r.end_ns }));

  const alignment = alignRun(chunks, gaps, phases);
  const baselineMarker = phases.find((m) => m.label === 'baseline');
  let attribution: Attribution | null = null;
  if (windows.length > 0 && baselineMarker && baselineMarker.end_ns !== null && alignment) {
    const shift = alignment.trusted ? alignment.offsetNs : 0;
    attribution = attribute({
      trace,
      inferences: windows,
      alignment,
      baselineInterval: { startNs: baselineMarker.t_ns + shift, endNs: baselineMarker.end_ns + shift },
    });
  }

  // Per-inference values: measured where attribution resolved single inferences.
  const perInf = new Map((attribution?.inferences ?? []).map((e) => [e.seq, e]));
  profile.setMeasured(
    sessionId,
    rows.map((r) => ({ seq: r.seq, measuredEnergyJ: perInf.get(r.seq)?.measuredEnergyJ ?? null, activeEnergyJ: perInf.get(r.seq)?.activeEnergyJ ?? null })),
  );

  const energies = [...perInf.values()].flatMap((e) => (e.measuredEnergyJ === null ? [] : [e.measuredEnergyJ]));
  const actives = [...perInf.values()].flatMap((e) => (e.activeEnergyJ === null ? [] : [e.activeEnergyJ]));
  const checks = budgetSpecs(run, storedChecks);
  const budgets = checkBudgets(
    checks,
    rows.map((r) => ({
      seq: r.seq,
      energyJ: perInf.get(r.seq)?.measuredEnergyJ ?? null,
      latencyS: (r.end_ns - r.start_ns) / 1e9,
      macs: r.macs,
    })),
    runEnergy(attribution, rows.length),
  );

  const result: ProfileResult = {
    sessionId,
    status: row.status,
    statusReason: (row as { status_reason?: string | null }).status_reason ?? null,
    simulated: row.simulated === 1,
    model: run?.model ?? row.model ?? '',
    mode: run?.mode ?? '',
    budget: run?.budget?.text ?? null,
    backend: run?.backend ?? row.backend ?? '',
    inferences: rows.length,
    powerSource: channels.includes('power') ? 'measured' : row.nominal_voltage_v !== null ? 'nominal-voltage' : null,
    nominalVoltageV: row.nominal_voltage_v,
    alignment: alignment
      ? {
          offsetNs: alignment.offsetNs,
          driftPpm: alignment.driftPpm,
          refNs: alignment.refNs,
          uncertaintyNs: alignment.uncertaintyNs ?? Number.NaN,
          strength: alignment.strength,
          peakRatio: alignment.peakRatio,
          trusted: alignment.trusted,
          reason: alignment.reason,
          method: alignment.method,
        }
      : null,
    attribution: attribution
      ? { mode: attribution.mode, reason: attribution.reason }
      : { mode: 'none', reason: rows.length === 0 ? 'No inference was recorded.' : 'The run has no baseline or alignment phase to attribute from.' },
    baseline: attribution?.baseline
      ? {
          startNs: attribution.baseline.startNs,
          endNs: attribution.baseline.endNs,
          meanPowerW: attribution.baseline.meanPowerW,
          sdPowerW: attribution.baseline.sdPowerW,
        }
      : null,
    energyPerInference: energySummary(attribution, energies, actives),
    latencyPerInference: latencySummary(rows),
    budgets,
  };
  storeResults(profile, sessionId, result, attribution);
  return result;
}

/** The trace as power chunks: damaged chunks stay as damaged spans, gaps as stored. */
export function loadPowerTrace(db: Db, sessions: SessionsRepo, sessionId: number, nominalVoltageV: number | null): { chunks: PowerChunk[]; gaps: TraceGap[] } {
  const chunks: PowerChunk[] = [];
  for (const c of readChunks(db, sessionId)) {
    if (c.damaged) {
      chunks.push({ t0Ns: c.t0Ns, periodNs: c.periodNs, count: c.count, power: new Float64Array(c.count), damaged: true });
      continue;
    }
    const data = c.channels.map((ch) => c.planes[ch]!);
    const power = powerPlane({ count: c.count, channels: c.channels, data }, nominalVoltageV);
    if (power) chunks.push({ t0Ns: c.t0Ns, periodNs: c.periodNs, count: c.count, power });
  }
  const gaps = sessions.gaps(sessionId).map((g) => ({ startNs: g.start_ns, endNs: g.end_ns }));
  return { chunks, gaps };
}

/** One pattern gives the offset; a second one at the end of the inferences adds the drift. */
function alignRun(chunks: PowerChunk[], gaps: TraceGap[], phases: MarkerRow[]): Alignment | null {
  const patterns = phases.filter((m) => m.label === 'alignment' && m.data);
  const results = patterns.map((m) => {
    const d = JSON.parse(m.data!) as { slotNs: number; bits: (0 | 1)[]; edgesNs?: number[] };
    const schedule: PatternSchedule = { slotNs: d.slotNs, bits: d.bits, startOffsetNs: 0 };
    return alignPatternInChunks(chunks, gaps, schedule, m.t_ns, d.edgesNs ? { edgeTimesNs: d.edgesNs } : {});
  });
  if (results.length === 0) return null;
  const first = results[0]!;
  const last = results[results.length - 1]!;
  if (results.length >= 2 && first.trusted && last.trusted) {
    // Drift only when the two offsets differ by more than their noise: over a run of seconds a real
    // crystal's tens of ppm move the offset by microseconds, while noise would tilt every window.
    const noise = Math.hypot(first.uncertaintyNs ?? 0, last.uncertaintyNs ?? 0);
    if (Math.abs(last.offsetNs - first.offsetNs) > 3 * noise) return combineAlignments(first, last);
    return {
      ...first,
      offsetNs: (first.offsetNs + last.offsetNs) / 2,
      uncertaintyNs: noise / 2,
      method: `${first.method.replace(/; drift not estimated \(one pattern\)$/, '')}; two patterns agree within their noise: mean offset, no drift`,
    };
  }
  // One pattern disturbed (the machine busy just then) does not spoil the other: use the trusted one.
  const trusted = results.filter((r) => r.trusted).sort((a, b) => b.strength - a.strength)[0];
  if (trusted && results.length >= 2) {
    return { ...trusted, method: `${trusted.method}; the other pattern was not trusted (${first.trusted ? last.reason : first.reason})` };
  }
  return first;
}

/** The run's measured energy over its inferences: their sum, or the window estimate × their number. */
function runEnergy(a: Attribution | null, n: number): number | null {
  if (!a) return null;
  if (a.mode === 'window') return a.windows.energyPerInferenceJ === null ? null : a.windows.energyPerInferenceJ * n;
  let sum = 0;
  for (const e of a.inferences) {
    if (e.measuredEnergyJ === null) return null;
    sum += e.measuredEnergyJ;
  }
  return sum;
}

function energySummary(a: Attribution | null, energies: number[], actives: number[]): ProfileResult['energyPerInference'] {
  if (!a) return null;
  if (a.mode === 'window') {
    const m = a.windows.energyPerInferenceJ;
    if (m === null) return null;
    const values = a.windows.windows.flatMap((w) => (w.energyPerInferenceJ === null ? [] : [w.energyPerInferenceJ])).sort((x, y) => x - y);
    return {
      mean: m,
      p50: nearestRank(values, 50),
      p95: nearestRank(values, 95),
      p99: nearestRank(values, 99),
      max: values[values.length - 1]!,
      activeMean: a.windows.activeEnergyPerInferenceJ,
      ci95: a.windows.ci95J,
    };
  }
  if (energies.length === 0) return null;
  const sorted = [...energies].sort((x, y) => x - y);
  return {
    mean: energies.reduce((s, v) => s + v, 0) / energies.length,
    p50: nearestRank(sorted, 50),
    p95: nearestRank(sorted, 95),
    p99: nearestRank(sorted, 99),
    max: sorted[sorted.length - 1]!,
    activeMean: actives.length ? actives.reduce((s, v) => s + v, 0) / actives.length : null,
    ci95: null,
  };
}

function latencySummary(rows: InferenceRow[]): ProfileResult['latencyPerInference'] {
  const d = rows.map((r) => (r.end_ns - r.start_ns) / 1e9).sort((x, y) => x - y);
  if (d.length === 0) return { mean: 0, p50: 0, p95: 0, max: 0 };
  return { mean: d.reduce((s, v) => s + v, 0) / d.length, p50: nearestRank(d, 50), p95: nearestRank(d, 95), max: d[d.length - 1]! };
}

function storeResults(profile: ProfileRepo, sessionId: number, r: ProfileResult, a: Attribution | null): void {
  profile.replaceMarkers(
    sessionId,
    'alignment',
    r.alignment ? [{ tNs: 0, endNs: null, kind: 'alignment', label: r.alignment.trusted ? 'trusted' : 'not trusted', data: r.alignment }] : [],
  );
  profile.replaceMarkers(
    sessionId,
    'baseline',
    r.baseline ? [{ tNs: r.baseline.startNs, endNs: r.baseline.endNs, kind: 'baseline', label: 'idle baseline', data: r.baseline }] : [],
  );
  const { budgets, ...summary } = r;
  profile.replaceMarkers(sessionId, 'profile', [
    {
      tNs: 0,
      endNs: null,
      kind: 'profile',
      label: 'profiling result',
      data: { ...summary, budgets, windows: a?.mode === 'window' ? a.windows : undefined },
    },
  ]);
}
