/**
 * The Calibrate page's pure logic: the form turned into a `calibrate.start` input (or one sentence
 * and its field), the progress as words, and the result's fit and held-out error as the page shows
 * them. The result's shape is calibrate.ts's CalibrationResult; only the fields shown are named here.
 */
import type { CalibrationProgressDto, CallInput } from '../../../main/api/contract';
import { FIT_POOL, maxSegments } from '../../../main/domain/calibration-segments';

export interface CalibrateFormValues {
  runs: string;
  limit: string;
  backend: '' | 'ort' | 'tensorflow' | 'wasm' | 'cpu';
  name: string;
  warmup: string;
  /** Sessions per run, measured in turn; empty for the default (3, fewer for short runs). */
  segments: string;
  baselineS: string;
  /** Wanted precision of every run's mean energy per inference, % (95 % interval). */
  precisionPct: string;
  /** Extension rounds stop so that the calibration ends within this, minutes. */
  maxMinutes: string;
}

export type CalibrateField = 'model' | 'runs' | 'limit' | 'name' | 'warmup' | 'segments' | 'baseline' | 'precision' | 'maxTime';

export const DEFAULT_CALIBRATE_FORM: CalibrateFormValues = {
  runs: '6',
  limit: '1000',
  backend: '',
  name: '',
  warmup: '',
  segments: '',
  baselineS: '1',
  precisionPct: '3',
  maxMinutes: '5',
};

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/;

/** Fewest runs that can identify a model's costs: static (and iadi when gated) plus two budgeted runs, one held out. */
export const minimumRuns = (gated: boolean): number => (gated ? 4 : 3);

export function toCalibrateInput(
  model: { id: string; layerGates: boolean; channelGates: boolean } | undefined,
  v: CalibrateFormValues,
): { input: CallInput<'calibrate.start'> } | { error: string; field: CalibrateField } {
  if (!model) return { error: 'Choose a model to calibrate.', field: 'model' };
  const min = minimumRuns(model.layerGates || model.channelGates);
  const whole = (text: string, lo: number, hi: number) => (/^\d+$/.test(text.trim()) && Number(text) >= lo && Number(text) <= hi ? Number(text) : null);
  const runs = whole(v.runs, min, 50);
  if (runs === null) {
    return {
      error: `Runs must be a whole number from ${min} to 50 (${min === 4 ? 'static and iadi' : 'static'} plus at least two budgeted runs, one held out).`,
      field: 'runs',
    };
  }
  const limit = whole(v.limit, 10, 100_000);
  if (limit === null) return { error: 'Inferences per run must be a whole number from 10 to 100000.', field: 'limit' };
  // Empty: one pass over each run's own inputs (the core's default), so a run is measured warm.
  const warmup = v.warmup.trim() === '' ? undefined : whole(v.warmup, 0, 10_000);
  if (warmup === null)
    return { error: 'Warm-up inferences must be a whole number from 0 to 10000, or empty for one pass over the run’s inputs.', field: 'warmup' };
  // At least one pool of the fit's inferences per segment (the rule calibrate.ts checks).
  const most = maxSegments(limit);
  const segments = v.segments.trim() === '' ? undefined : whole(v.segments, 1, most);
  if (segments === null)
    return {
      error: `Segments must be a whole number from 1 to ${most} for ${limit} inferences per run (at least ${FIT_POOL} per segment), or empty for the default.`,
      field: 'segments',
    };
  const b = Number(v.baselineS.trim());
  if (v.baselineS.trim() === '' || !Number.isFinite(b) || b < 0.2 || b > 600)
    return { error: 'The idle baseline must be from 0.2 s to 600 s.', field: 'baseline' };
  const precision = Number(v.precisionPct.trim());
  if (v.precisionPct.trim() === '' || !Number.isFinite(precision) || precision <= 0 || precision > 50)
    return { error: 'The precision must be a percentage above 0 and at most 50.', field: 'precision' };
  const maxMinutes = Number(v.maxMinutes.trim());
  if (v.maxMinutes.trim() === '' || !Number.isFinite(maxMinutes) || maxMinutes < 1 / 60 || maxMinutes > 1440)
    return { error: 'The time limit must be from 1 s (0.017 min) to 1440 minutes.', field: 'maxTime' };
  const name = v.name.trim();
  if (name && !NAME.test(name)) {
    return {
      error: `"${name}" is not a usable table name; use up to 80 letters, digits, dots, dashes or underscores, starting with a letter or digit.`,
      field: 'name',
    };
  }
  return {
    input: {
      model: model.id,
      runs,
      limit,
      ...(warmup !== undefined ? { warmup } : {}),
      ...(segments !== undefined ? { segments } : {}),
      baselineS: b,
      precision: precision / 100,
      maxDurationS: maxMinutes * 60,
      ...(v.backend ? { backend: v.backend } : {}),
      ...(name ? { name } : {}),
    },
  };
}

const PHASE: Record<CalibrationProgressDto['phase'], string> = {
  starting: 'Starting',
  warmup: 'Warming up',
  baseline: 'Measuring the idle baseline',
  alignment: 'Alignment pattern',
  inferences: 'Inferences',
  closing: 'Closing idle',
  analysis: 'Analysing the run',
  fit: 'Fitting the cost tables',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/** "Run 2 of 6 · Inferences 40 of 200", "Fitting the cost tables". */
export function calibrationProgressText(p: Pick<CalibrationProgressDto, 'phase' | 'run' | 'runs' | 'done' | 'total'>): string {
  const what = p.phase === 'inferences' || p.phase === 'warmup' ? `${PHASE[p.phase]} ${p.done} of ${p.total}` : PHASE[p.phase];
  if (p.phase === 'fit' || p.phase === 'starting' || p.run === 0 || p.phase === 'done') return what;
  // One profiling session of the calibration (a run is measured in one or more segments).
  return `Session ${p.run} of ${p.runs} · ${what}`;
}

export interface FittedParameterView {
  name: string;
  status: 'fitted' | 'weak' | 'zero' | 'pooled' | 'folded' | 'absent';
  value: number;
  se: number | null;
  note: string | null;
}

/** The parts of calibrate.ts's CalibrationResult the page shows. */
export interface CalibrationResultView {
  costTable: { name: string; backend: { name: string; version: string }; model: { name: string }; idlePowerW: number };
  simulated: boolean;
  runs: Array<{ sessionId: number; mode: string; budget: string | null; heldOut: boolean; attribution: string }>;
  /** Absent in results stored before extension rounds. */
  precision?: { target: number; maxDurationS: number; maxExtraRounds: number; extraRounds: number; worstCi95: number | null; reached: boolean };
  fit: {
    energy: { intercept: number; parameters: FittedParameterView[]; measuredMape: number | null };
    latency: { intercept: number; parameters: FittedParameterView[]; residuals: { mape: number | null } };
  };
  heldOut: {
    sessionId: number;
    /** One session per segment (absent in results stored before segments). */
    sessionIds?: number[];
    mode: string;
    budget: string | null;
    attribution: string;
    observations: number;
    energyMape: number | null;
    energyTotalError: number | null;
    /** Predicted ÷ measured mean energy per inference − 1 (signed), and the measured mean's 95 % interval (relative). */
    energyMeanError?: number | null;
    energyMeanCi95?: number | null;
    latencyMeanError?: number | null;
    analyticEnergyMape: number | null;
    latencyMape: number | null;
    measuredEnergyPerInferenceJ: number | null;
    predictedEnergyPerInferenceJ: number | null;
  };
}

/** A signed percentage (+4.5 %, −9.3 %). */
export const signedPercent = (x: number | null | undefined): string =>
  x === null || x === undefined || !Number.isFinite(x) ? '—' : `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)} %`;

export const percent = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : `${(100 * x).toFixed(1)} %`);

/** Parameters the runs pinned down, and those they could not (with the fit's reason). */
export function splitParameters(ps: readonly FittedParameterView[]): { identified: FittedParameterView[]; unidentified: FittedParameterView[] } {
  const unid = new Set<FittedParameterView['status']>(['folded', 'absent']);
  return { identified: ps.filter((p) => !unid.has(p.status)), unidentified: ps.filter((p) => unid.has(p.status)) };
}

/** "per inference" or "per window": what the held-out MAPE compares (window mode has no single inferences). */
export const heldOutUnit = (attribution: string): string => (attribution === 'window' ? 'per window' : 'per inference');
