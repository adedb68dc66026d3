import { describe, expect, it } from 'vitest';
import { alignPatternInChunks } from '../../../main/profile/alignment';
import { attribute, attributePerInference, chooseMode, PowerTrace, type InferenceWindow } from '../../../main/profile/attribution';
import { makePattern, patternDurationNs } from '../../../main/profile/pattern';
import { mulberry32 } from '../../../main/util/prng';
import { patternActivity, synthesize, toChunks, type Activity } from './synth';

const MS = 1e6;
const none = { offsetNs: 0, driftPpm: 0, refNs: 0 };

describe('PowerTrace integrals (zero-order hold)', () => {
  const chunks = [
    { t0Ns: 0, periodNs: 1 * MS, count: 2, power: [1, 2] },
    { t0Ns: 2 * MS, periodNs: 1 * MS, count: 2, power: [3, 4] },
    { t0Ns: 6 * MS, periodNs: 1 * MS, count: 1, power: [5], damaged: true },
    { t0Ns: 8 * MS, periodNs: 1 * MS, count: 4, power: [1, 3, 1, 3] },
  ];
  const trace = new PowerTrace(chunks, [{ startNs: 4 * MS, endNs: 6 * MS }]);

  it('weights the samples cut by a window by the fraction of their period inside it', () => {
    // 0.5 ms of 1 W + 1 ms of 2 W + 1 ms of 3 W + 0.25 ms of 4 W, across a chunk boundary.
    expect(trace.energy(0.5 * MS, 3.25 * MS).energyJ).toBeCloseTo((0.5 * 1 + 2 + 3 + 0.25 * 4) * 1e-3, 15);
    expect(trace.energy(1.2 * MS, 1.7 * MS).energyJ).toBeCloseTo(0.5 * 2e-3, 15);
    expect(trace.energy(1 * MS, 1 * MS).energyJ).toBe(0);
  });

  it('has no value for windows touching a gap, a damaged chunk or a stretch without samples', () => {
    expect(trace.energy(3.5 * MS, 4.5 * MS)).toEqual({ energyJ: null, missing: 'gap' });
    expect(trace.energy(6.5 * MS, 6.6 * MS)).toEqual({ energyJ: null, missing: 'damaged' });
    expect(trace.energy(7.2 * MS, 8.5 * MS)).toEqual({ energyJ: null, missing: 'no-data' });
    expect(trace.energy(11.5 * MS, 12.5 * MS)).toEqual({ energyJ: null, missing: 'no-data' });
  });

  it('gives the baseline as time-weighted mean and standard deviation, leaving out what has no samples', () => {
    const b = trace.baseline({ startNs: 8 * MS, endNs: 12 * MS })!;
    expect(b.meanPowerW).toBeCloseTo(2, 12);
    expect(b.sdPowerW).toBeCloseTo(1, 12);
    const across = trace.baseline({ startNs: 3 * MS, endNs: 9 * MS })!;
    // 1 ms of 4 W (3..4) and 1 ms of 1 W (8..9): the gap, the damaged chunk and the hole are left out.
    expect(across.coveredNs).toBe(2 * MS);
    expect(across.meanPowerW).toBeCloseTo(2.5, 12);
    expect(trace.baseline({ startNs: 20 * MS, endNs: 21 * MS })).toBeNull();
  });
});

describe('chooseMode', () => {
  const infs: InferenceWindow[] = [1, 2, 3].map((i) => ({ seq: i, startNs: i * 10 * MS, endNs: i * 10 * MS + 3 * MS }));
  it('uses per-inference mode only with a trusted alignment and a period ≤ 1/10 of the median inference', () => {
    expect(chooseMode(10_000, infs, { trusted: true, reason: null, uncertaintyNs: 5000 }).mode).toBe('per-inference');
    const slow = chooseMode(1 * MS, infs, { trusted: true, reason: null, uncertaintyNs: 5000 });
    expect(slow.mode).toBe('window');
    expect(slow.reason).toMatch(/samples every 1\.00 ms, more than a tenth of the median inference \(3\.00 ms\)/);
    const untrusted = chooseMode(10_000, infs, { trusted: false, reason: 'The trace has a gap inside the alignment pattern.', uncertaintyNs: null });
    expect(untrusted.mode).toBe('window');
    expect(untrusted.reason).toBe('Window mode because the alignment is not trusted: the trace has a gap inside the alignment pattern.');
  });
});

/** A profiling run's host timeline: baseline, pattern, then inferences of known length. */
function run(opts: { seed: number; count: number; inferenceStartNs: number; gapNs: number }) {
  const rng = mulberry32(opts.seed);
  const schedule = makePattern();
  const patternStart = 700 * MS;
  const infs: InferenceWindow[] = [];
  const activity: Activity[] = patternActivity(schedule, patternStart, 1.2);
  let t = opts.inferenceStartNs;
  for (let seq = 0; seq < opts.count; seq++) {
    // Duration (∝ MACs in an iadi run) varies 2.7× between inferences, the power a little too.
    const d = Math.round(2 * MS * (1 + 1.7 * rng()));
    infs.push({ seq, startNs: t, endNs: t + d });
    activity.push({ startNs: t, endNs: t + d, powerW: 1.1 + 0.2 * rng() });
    t += d + opts.gapNs;
  }
  return { schedule, patternStart, infs, activity, endNs: t };
}

describe('attribution on a synthetic profiling run', () => {
  it('gives back each inference energy within 1 % at 100 kS/s, aligned from the pattern (20 ms delay, batched chunks)', () => {
    const r = run({ seed: 21, count: 300, inferenceStartNs: 950 * MS, gapNs: 0.4 * MS });
    const delay = 20 * MS;
    const synth = synthesize({
      durationNs: r.endNs + 100 * MS,
      rateHz: 100_000,
      delayNs: delay,
      phaseNs: 4_000,
      riseNs: 50_000,
      noiseW: 0.03,
      wanderW: 0.05,
      bursts: { ratePerS: 5, minNs: 0.2 * MS, maxNs: 2 * MS, powerW: 1 },
      activity: r.activity,
      seed: 22,
    });
    const chunks = toChunks(synth.trace, 23, 64);
    const alignment = alignPatternInChunks(chunks, [], r.schedule, r.patternStart);
    expect(alignment.trusted, alignment.reason ?? '').toBe(true);
    const baselineHost = { startNs: 100 * MS, endNs: 600 * MS };
    const a = attribute({
      trace: new PowerTrace(chunks),
      inferences: r.infs,
      alignment,
      baselineInterval: { startNs: baselineHost.startNs + alignment.offsetNs, endNs: baselineHost.endNs + alignment.offsetNs },
    });
    expect(a.mode).toBe('per-inference');
    expect(a.inferences).toHaveLength(300);
    const truths = r.infs.map((i) => synth.truthEnergyJ(i.startNs, i.endNs));
    expect(Math.max(...truths) / Math.min(...truths)).toBeGreaterThan(2.3);
    const errors = a.inferences.map((e, k) => Math.abs(e.measuredEnergyJ! - truths[k]!) / truths[k]!);
    expect(Math.max(...errors)).toBeLessThan(0.01);
    // Active energy: what the inference added above the idle baseline.
    const truthBase = synth.truthEnergyJ(baselineHost.startNs, baselineHost.endNs) / 0.5;
    expect(Math.abs(a.baseline!.meanPowerW - truthBase) / truthBase).toBeLessThan(0.005);
    a.inferences.forEach((e) => expect(e.activeEnergyJ).toBeCloseTo(e.measuredEnergyJ! - a.baseline!.meanPowerW * e.durationS, 15));
    // The same inferences without the offset are wrong by far more: the test depends on alignment.
    const unaligned = attributePerInference(new PowerTrace(chunks), r.infs, none, null);
    const worst = Math.max(...unaligned.map((e, k) => Math.abs(e.measuredEnergyJ! - truths[k]!) / truths[k]!));
    expect(worst).toBeGreaterThan(0.1);
  });

  it('chooses window mode for a 10 Hz meter and gets energy per inference within 5 % over 30 s', () => {
    const r = run({ seed: 31, count: 8000, inferenceStartNs: 1000 * MS, gapNs: 0.2 * MS });
    expect(r.endNs - 1000 * MS).toBeGreaterThan(30_000 * MS);
    const synth = synthesize({
      durationNs: r.endNs + 500 * MS,
      rateHz: 10,
      delayNs: 35 * MS,
      noiseW: 0.01,
      wanderW: 0.05,
      activity: r.activity,
      seed: 32,
      dtNs: 10_000,
    });
    const chunks = toChunks(synth.trace, 33, 5);
    const alignment = alignPatternInChunks(chunks, [], r.schedule, r.patternStart);
    expect(alignment.trusted).toBe(false);
    const a = attribute({ trace: new PowerTrace(chunks), inferences: r.infs, alignment, baselineInterval: { startNs: 100 * MS, endNs: 600 * MS } });
    expect(a.mode).toBe('window');
    expect(a.reason).toMatch(/^Window mode because the alignment is not trusted: the meter samples every 100 ms, too slowly/);
    expect(a.inferences).toEqual([]);
    const truth = r.infs.reduce((s, i) => s + synth.truthEnergyJ(i.startNs, i.endNs), 0) / r.infs.length;
    const w = a.windows;
    // ≥ 1 s and ≥ 20 periods of 100 ms: 2 s windows.
    expect(w.windowNs).toBeGreaterThanOrEqual(2000 * MS);
    expect(w.windows.length).toBe(15);
    expect(w.windows.reduce((s, x) => s + x.inferences, 0)).toBe(8000);
    expect(Math.abs(w.energyPerInferenceJ! - truth) / truth).toBeLessThan(0.05);
    expect(w.ci95J![0]).toBeLessThan(w.energyPerInferenceJ!);
    expect(w.ci95J![1]).toBeGreaterThan(w.energyPerInferenceJ!);
    expect(w.activeEnergyPerInferenceJ).toBeLessThan(w.energyPerInferenceJ!);
    expect(w.inferencesWithoutMeasurement).toBe(0);
  });

  it('leaves windows that touch a gap without a value and counts their inferences', () => {
    const chunks = [
      { t0Ns: 0, periodNs: 10 * MS, count: 200, power: new Float64Array(200).fill(2) },
      { t0Ns: 2500 * MS, periodNs: 10 * MS, count: 200, power: new Float64Array(200).fill(2) },
    ];
    const trace = new PowerTrace(chunks, [{ startNs: 2000 * MS, endNs: 2500 * MS }]);
    const infs = Array.from({ length: 400 }, (_, i) => ({ seq: i, startNs: i * 10 * MS, endNs: i * 10 * MS + 5 * MS }));
    const w = attribute({
      trace,
      inferences: infs,
      alignment: { ...none, uncertaintyNs: null, strength: 0, peakRatio: 0, competitorLagNs: null, edgesUsed: 0, trusted: false, reason: 'x.', method: 'm' },
      baselineInterval: { startNs: 0, endNs: 1000 * MS },
    }).windows;
    // 4 s of inferences in 1 s (≥ 20 periods) windows: 3 of 1.33 s, the middle one holds the gap.
    expect(w.windows).toHaveLength(3);
    expect(w.windows.map((x) => x.energyJ === null)).toEqual([false, true, false]);
    expect(w.inferencesWithoutMeasurement).toBe(w.windows[1]!.inferences);
    expect(w.windows.reduce((n, x) => n + x.inferences, 0)).toBe(400);
    expect(w.energyPerInferenceJ).toBeCloseTo(2 * 5e-3, 12);
    expect(w.ci95J![0]).toBeCloseTo(w.ci95J![1], 12);
  });
});
