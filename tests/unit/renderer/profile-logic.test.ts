// The profiling views' pure logic: histogram binning, the table's order (violations first), the
// inference windows moved into trace time for shading, the scatter's points, the run's settings
// and the store that follows a run from the click to its end.
import { describe, expect, it } from 'vitest';
import type { EventPayload } from '../../../main/api/contract';
import {
  exitColor,
  exitsPresent,
  histogram,
  histogramValues,
  niceTicks,
  phaseBands,
  progressText,
  scatterPoints,
  shadingIntervals,
  sortRows,
  tableRows,
  toTraceS,
  traceShift,
  verdictOf,
  violatingSeqs,
  visibleIntervals,
  elapsedNow,
  etaNow,
  type BudgetResultDto,
  type ProfileInference,
  type ProfileResultDto,
} from '../../../renderer/src/profile/profileLogic';
import { DEFAULT_PROFILE_PARAMS, profileParams } from '../../../renderer/src/profile/profileParams';
import { createProfileStore } from '../../../renderer/src/profile/profileStore';

const inf = (seq: number, over: Partial<ProfileInference> = {}): ProfileInference => ({
  seq,
  startS: 1 + seq * 0.01,
  endS: 1 + seq * 0.01 + 0.004,
  exit: null,
  macs: 1_000_000,
  label: 1,
  prediction: 1,
  predictedEnergyJ: 1e-4,
  measuredEnergyJ: 1e-3,
  activeEnergyJ: 5e-4,
  graphBuilds: 0,
  ...over,
});

const budget = (over: Partial<BudgetResultDto> = {}): BudgetResultDto => ({
  name: 'e',
  metric: 'energy_per_inference',
  value: 1e-3,
  unit: 'J',
  pass: false,
  fractionWithin: 0.5,
  violations: [],
  ...over,
});

const result = (over: Partial<ProfileResultDto> = {}): ProfileResultDto => ({
  sessionId: 1,
  status: 'complete',
  statusReason: null,
  simulated: false,
  model: 'm',
  mode: 'iadi',
  budget: null,
  backend: 'wasm',
  inferences: 0,
  alignment: null,
  attribution: { mode: 'window', reason: 'Window mode.' },
  baseline: null,
  energyPerInference: null,
  budgets: [],
  ...over,
});

describe('histogram', () => {
  it('bins every value once, √n bins within 5..40, edges going to the bin above and the maximum to the last bin', () => {
    const values = Array.from({ length: 100 }, (_, i) => i); // 0..99
    const h = histogram(values);
    expect(h.bins).toHaveLength(10);
    expect(h.bins.reduce((s, b) => s + b.count, 0)).toBe(100);
    expect(h.min).toBe(0);
    expect(h.max).toBe(99);
    // Width 9.9: 0..9.9 holds 0..9 (10 values); 99 lands in the last bin, not past it.
    expect(h.bins[0]!.count).toBe(10);
    expect(h.bins[9]!.to).toBe(99);
    expect(h.bins[9]!.count).toBe(10);
    // An inner edge value goes above: with values [0, 1, 2, 3, 4, 5] (5 bins of width 1), 1 is in bin 1.
    const e = histogram([0, 1, 2, 3, 4, 5]);
    expect(e.bins.map((b) => b.count)).toEqual([1, 1, 1, 1, 2]);
    expect(histogram(Array.from({ length: 10_000 }, (_, i) => i)).bins).toHaveLength(40);
    expect(histogram([1, 2]).bins).toHaveLength(5);
  });

  it('stretches the range to include a budget line far from the data, and ignores non-finite values', () => {
    const h = histogram([1e-3, 1.1e-3, 1.2e-3, Number.NaN, Number.POSITIVE_INFINITY], [5e-3]);
    expect(h.n).toBe(3);
    expect(h.max).toBe(5e-3);
    expect(h.min).toBe(1e-3);
    expect(h.bins.reduce((s, b) => s + b.count, 0)).toBe(3);
  });

  it('gives all-equal values one narrow range around them and an empty input no bins', () => {
    const h = histogram([2e-3, 2e-3, 2e-3]);
    expect(h.min).toBeLessThan(2e-3);
    expect(h.max).toBeGreaterThan(2e-3);
    expect(h.bins.reduce((s, b) => s + b.count, 0)).toBe(3);
    expect(histogram([]).bins).toEqual([]);
  });
});

describe('table order', () => {
  const rows = tableRows(
    [
      inf(0, { measuredEnergyJ: 3e-3 }),
      inf(1, { measuredEnergyJ: 1e-3 }),
      inf(2, { measuredEnergyJ: null }),
      inf(3, { measuredEnergyJ: 2e-3 }),
      inf(4, { measuredEnergyJ: 5e-3 }),
    ],
    violatingSeqs([
      budget({
        violations: [
          { seq: 4, value: 5e-3 },
          { seq: 0, value: 3e-3 },
        ],
      }),
      budget({ name: 'run', metric: 'energy_per_run', violations: [{ seq: 1, value: 9 }] }),
    ]),
  );

  it('puts the inferences over a per-inference budget first whatever the column and direction', () => {
    expect(sortRows(rows, 'seq', 'asc').map((r) => r.seq)).toEqual([0, 4, 1, 2, 3]);
    expect(sortRows(rows, 'seq', 'desc').map((r) => r.seq)).toEqual([4, 0, 3, 2, 1]);
    expect(sortRows(rows, 'measuredEnergyJ', 'desc').map((r) => r.seq)).toEqual([4, 0, 3, 1, 2]);
    // A missing measurement stays last in both directions; an energy-per-run "violation" marks no row.
    expect(sortRows(rows, 'measuredEnergyJ', 'asc').map((r) => r.seq)).toEqual([0, 4, 1, 3, 2]);
    expect(rows.find((r) => r.seq === 1)!.violates).toBe(false);
  });

  it('sorts exits with the classifier deepest and latency from start and end', () => {
    const r = tableRows([inf(0, { exit: null }), inf(1, { exit: 2 }), inf(2, { exit: 0 })], new Set());
    expect(sortRows(r, 'exit', 'asc').map((x) => x.seq)).toEqual([2, 1, 0]);
    expect(r[0]!.latencyS).toBeCloseTo(0.004, 12);
  });
});

describe('shading intervals', () => {
  it('moves windows into trace time by the offset (and drift) only when the alignment is trusted', () => {
    const a = { offsetNs: 25e6, driftPpm: 100, refNs: 1e9, strength: 0.9, trusted: true, reason: null, method: 'm' };
    const s = traceShift(a);
    expect(s.applied).toBe(true);
    // At refNs only the offset applies; 1 s later the drift adds 100 µs.
    expect(toTraceS(1, s)).toBeCloseTo(1.025, 12);
    expect(toTraceS(2, s)).toBeCloseTo(2.0251, 12);
    const w = shadingIntervals([inf(1, { exit: 0 }), inf(0, { exit: null })], s);
    expect(w.map((x) => x.seq)).toEqual([0, 1]);
    expect(w[0]!.startS).toBeCloseTo(toTraceS(1, s), 12);
    expect(w[1]!.endS - w[1]!.startS).toBeCloseTo(0.004 * (1 + 1e-4), 12);
    expect(w[1]!.color).toBe(exitColor(0));
    expect(w[0]!.color).toBe(exitColor(null));
    // Untrusted: drawn where the attribution integrated, unshifted.
    const u = traceShift({ ...a, trusted: false });
    expect(u.applied).toBe(false);
    expect(shadingIntervals([inf(0)], u)[0]!.startS).toBe(1);
    // No refNs stored (runs analysed before it was): offset only.
    const { refNs: _r, ...noRef } = a;
    expect(toTraceS(2, traceShift(noRef))).toBeCloseTo(2.025, 12);
  });

  it('keeps the windows overlapping the visible range, and phase bands end at the session end when open', () => {
    const w = shadingIntervals([inf(0), inf(1), inf(2)], traceShift(null));
    expect(visibleIntervals(w, 1.012, 1.013).map((x) => x.seq)).toEqual([1]);
    expect(visibleIntervals(w, 1.0035, 1.011).map((x) => x.seq)).toEqual([0, 1]);
    expect(phaseBands([{ label: 'closing', startS: 3, endS: null }], traceShift(null), 4.5)).toEqual([{ label: 'closing', startS: 3, endS: 4.5 }]);
  });

  it('gives each exit its own colour and lists exits in network order', () => {
    expect(new Set([exitColor(0), exitColor(1), exitColor(2), exitColor(null)]).size).toBe(4);
    expect(exitsPresent([{ exit: null }, { exit: 2 }, { exit: 0 }, { exit: 2 }])).toEqual([0, 2, null]);
  });
});

describe('scatter and histogram values', () => {
  it('uses measured inferences when there are any', () => {
    const infs = [inf(0, { macs: 2e6, measuredEnergyJ: 2e-3, exit: 1 }), inf(1, { measuredEnergyJ: null })];
    const pts = scatterPoints(infs, result(), new Set([0]));
    expect(pts).toEqual([{ macs: 2e6, energyJ: 2e-3, exit: 1, seq: 0, violates: true, kind: 'inference', n: 1 }]);
    expect(histogramValues(infs, result())).toEqual({ values: [2e-3], per: 'inference' });
  });

  it('in window mode gives one point per window: its energy per inference against its inferences’ mean MACs', () => {
    // Inferences at 1.000, 1.010, … 1.090 s (host = trace time: alignment not trusted).
    const infs = Array.from({ length: 10 }, (_, i) => inf(i, { measuredEnergyJ: null, macs: i < 5 ? 1e6 : 3e6 }));
    const r = result({
      windows: {
        windows: [
          { startNs: 1.0e9, endNs: 1.05e9, inferences: 5, energyJ: 5e-3, energyPerInferenceJ: 1e-3 },
          { startNs: 1.05e9, endNs: 1.1e9, inferences: 5, energyJ: 1.5e-2, energyPerInferenceJ: 3e-3 },
          { startNs: 1.1e9, endNs: 1.2e9, inferences: 0, energyJ: null, energyPerInferenceJ: null },
        ],
      },
    });
    const pts = scatterPoints(infs, r, new Set());
    expect(pts.map((p) => [p.macs, p.energyJ, p.n, p.kind])).toEqual([
      [1e6, 1e-3, 5, 'window'],
      [3e6, 3e-3, 5, 'window'],
    ]);
    expect(histogramValues(infs, r)).toEqual({ values: [1e-3, 3e-3], per: 'window' });
    expect(scatterPoints(infs, result(), new Set())).toEqual([]);
  });
});

describe('texts', () => {
  it('states verdicts plainly, including unknown when values are missing', () => {
    expect(verdictOf(budget({ pass: true, verdict: 'pass' }))).toBe('PASS');
    expect(verdictOf(budget({ pass: false, verdict: 'fail' }))).toBe('FAIL');
    expect(verdictOf(budget({ pass: false, verdict: 'unknown' }))).toBe('UNKNOWN');
    expect(verdictOf(budget({ pass: true }))).toBe('PASS');
  });

  it('says the phase with n of N, and keeps elapsed and ETA moving between events', () => {
    expect(progressText({ phase: 'inferences', done: 40, total: 300 })).toBe('Inferences 40 of 300');
    expect(progressText({ phase: 'baseline', done: 0, total: 1 })).toBe('Measuring the idle baseline');
    expect(elapsedNow({ elapsedS: 3 }, 1000, 3500)).toBeCloseTo(5.5);
    expect(etaNow({ etaS: 2 }, 1000, 2500)).toBeCloseTo(0.5);
    expect(etaNow({ etaS: 2 }, 1000, 9000)).toBe(0);
    expect(etaNow({ etaS: null }, 1000, 2000)).toBeNull();
  });

  it('picks round ticks', () => {
    expect(niceTicks(0, 10, 5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(0.0011, 0.0049, 4)).toEqual([0.002, 0.003, 0.004]);
  });
});

describe('profile settings', () => {
  it('turns the typed warm-up and baseline into numbers, or one sentence naming the limit', () => {
    expect(profileParams({ ...DEFAULT_PROFILE_PARAMS, warmup: '2', baselineS: '0.5' })).toEqual({ params: { warmup: 2, baselineS: 0.5, dataset: 'sample' } });
    expect(profileParams({ ...DEFAULT_PROFILE_PARAMS, warmup: '-1', baselineS: '2' })).toEqual({
      error: 'Warm-up inferences must be a whole number from 0 to 10000.',
    });
    expect(profileParams({ ...DEFAULT_PROFILE_PARAMS, warmup: '2.5', baselineS: '2' })).toHaveProperty('error');
    expect(profileParams({ ...DEFAULT_PROFILE_PARAMS, warmup: '0', baselineS: '0.1' })).toEqual({ error: 'The idle baseline must be from 0.2 s to 600 s.' });
    expect(profileParams({ ...DEFAULT_PROFILE_PARAMS, warmup: '0', baselineS: '' })).toHaveProperty('error');
  });
});

describe('profile store', () => {
  type Progress = EventPayload<'profile.progress'>;
  function fakeApi(answer: () => Promise<{ sessionId: number }>) {
    let listener: ((p: Progress) => void) | null = null;
    const calls: string[] = [];
    return {
      calls,
      emit: (p: Progress) => listener?.(p),
      listening: () => listener !== null,
      api: {
        call: (name: string) => {
          calls.push(name);
          return name === 'profile.start' ? answer() : Promise.resolve({ ok: true });
        },
        on: (_name: string, l: (p: Progress) => void) => {
          listener = l;
          return () => {
            listener = null;
          };
        },
      } as never,
    };
  }
  const p = (over: Partial<Progress>): Progress => ({ sessionId: 7, phase: 'inferences', done: 0, total: 20, elapsedS: 0, etaS: null, ...over });

  it('follows progress that arrives before the answer, and reports the session at the end', async () => {
    let resolve!: (v: { sessionId: number }) => void;
    const f = fakeApi(() => new Promise((r) => (resolve = r)));
    const store = createProfileStore(() => 1000);
    const done: number[] = [];
    const started = store.start(f.api, { model: 'm', mode: 'static', limit: 20 }, (id) => done.push(id));
    f.emit(p({ phase: 'warmup', done: 0, total: 2 }));
    expect(store.get().running?.progress?.phase).toBe('warmup');
    expect(store.get().running?.sessionId).toBe(7);
    resolve({ sessionId: 7 });
    await started;
    f.emit(p({ sessionId: 8, done: 10 })); // another window's run: ignored
    expect(store.get().running?.progress?.phase).toBe('warmup');
    f.emit(p({ done: 10, etaS: 1 }));
    expect(store.get().running?.progress?.done).toBe(10);
    await store.cancel(f.api);
    expect(f.calls).toEqual(['profile.start', 'profile.cancel']);
    expect(store.get().running?.cancelling).toBe(true);
    f.emit(p({ phase: 'done', done: 20 }));
    expect(store.get().running).toBeNull();
    expect(store.get().finished).toEqual({ sessionId: 7 });
    expect(done).toEqual([7]);
    expect(f.listening()).toBe(false);
  });

  it('keeps a refusal and a mid-run failure (with the session kept) as the error', async () => {
    const refused = fakeApi(() => Promise.reject(new Error('Connect a meter before profiling.')));
    const store = createProfileStore();
    await store.start(refused.api, { model: 'm', mode: 'static', limit: 1 });
    expect(store.get().running).toBeNull();
    expect((store.get().error?.error as Error).message).toBe('Connect a meter before profiling.');
    expect(refused.listening()).toBe(false);

    const f = fakeApi(() => Promise.resolve({ sessionId: 3 }));
    await store.start(f.api, { model: 'm', mode: 'static', limit: 1 });
    expect(store.get().error).toBeNull();
    f.emit({ sessionId: null, phase: 'failed', done: 0, total: 1, elapsedS: 0, etaS: null, message: 'The meter stopped.' });
    expect(store.get().error).toMatchObject({ sessionId: 3 });
    expect((store.get().error?.error as Error).message).toBe('The meter stopped.');
  });
});
