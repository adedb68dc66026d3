// The Compare page's pure logic: each session's zero on the common axis (start, a marker, the
// inference phase in trace time), traces moved there and broken at gaps, shared histogram bins,
// the side-by-side rows, and a stored sweep turned into lines with its budget lines.
import { describe, expect, it } from 'vitest';
import { alignmentOffset, compareRows, markerChoices, overlaySegments, sharedHistogram, type SessionAnchors } from '../../../renderer/src/compare/compareLogic';
import { sweepLines } from '../../../renderer/src/compare/sweepLogic';
import type { ProfileDetails } from '../../../renderer/src/profile/profileLogic';
import type { SessionSummary, SweepDto } from '../../../main/api/contract';

const profile = (inferencesStartS: number, alignment: { offsetNs: number; trusted: boolean } | null): ProfileDetails => ({
  result: {
    sessionId: 2,
    status: 'complete',
    statusReason: null,
    simulated: true,
    model: 'tiny-random-test',
    mode: 'ddi',
    budget: '2MMAC',
    backend: 'wasm',
    inferences: 3,
    alignment: alignment ? { ...alignment, driftPpm: 0, strength: 9, reason: null, method: 'pattern' } : null,
    attribution: { mode: 'per-inference', reason: '' },
    baseline: null,
    energyPerInference: { mean: 2e-3, p50: 2e-3, p95: 3e-3, max: 3e-3 },
    budgets: [
      { name: 'hard budget 2MMAC', metric: 'macs_per_inference', value: 2e6, unit: 'MAC', pass: true, fractionWithin: 1, violations: [], verdict: 'pass' },
    ],
  },
  inferences: [1e-3, 2e-3, 3e-3].map((e, i) => ({
    seq: i,
    startS: 1 + i,
    endS: 1.5 + i,
    exit: 0,
    macs: 1e6,
    label: 1,
    prediction: 1,
    predictedEnergyJ: null,
    measuredEnergyJ: e,
    activeEnergyJ: null,
    graphBuilds: null,
  })),
  phases: [
    { label: 'baseline', startS: 0.2, endS: 0.7 },
    { label: 'inferences', startS: inferencesStartS, endS: inferencesStartS + 3 },
  ],
});

const power: SessionAnchors = {
  id: 1,
  markers: [
    { label: 'boot', tS: 0.5, kind: 'note' },
    { label: 'radio on', tS: 2.25, kind: 'note' },
    { label: 'radio on', tS: 4, kind: 'note' },
  ],
  profile: null,
};
const run: SessionAnchors = {
  id: 2,
  markers: [
    { label: 'inferences', tS: 1.0, kind: 'phase' },
    { label: 'radio on', tS: 3, kind: 'note' },
  ],
  profile: profile(1.0, { offsetNs: 20e6, trusted: true }),
};

describe('alignment offsets', () => {
  it('start: every session at 0', () => {
    expect(alignmentOffset(power, { kind: 'start' })).toEqual({ offsetS: 0 });
    expect(alignmentOffset(run, { kind: 'start' })).toEqual({ offsetS: 0 });
  });

  it('marker: the first marker with that label in each session; a note is in trace time already', () => {
    expect(alignmentOffset(power, { kind: 'marker', label: 'radio on' })).toEqual({ offsetS: 2.25 });
    expect(alignmentOffset(run, { kind: 'marker', label: 'radio on' })).toEqual({ offsetS: 3 });
    const missing = alignmentOffset(power, { kind: 'marker', label: 'inferences' });
    expect(missing.offsetS).toBeNull();
    expect(missing).toMatchObject({ reason: 'Session 1 has no marker "inferences".' });
  });

  it('inference phase: its host-time start moved into trace time by the trusted alignment offset', () => {
    const o = alignmentOffset(run, { kind: 'inferences' });
    expect(o.offsetS).toBeCloseTo(1.02, 9);
    // A phase marker chosen by label is shifted the same way.
    expect(alignmentOffset(run, { kind: 'marker', label: 'inferences' }).offsetS).toBeCloseTo(1.02, 9);
    // Untrusted alignment: nothing is shifted, as the attribution did.
    const untrusted = { ...run, profile: profile(1.0, { offsetNs: 20e6, trusted: false }) };
    expect(alignmentOffset(untrusted, { kind: 'inferences' }).offsetS).toBe(1.0);
    expect(alignmentOffset(power, { kind: 'inferences' })).toMatchObject({ offsetS: null, reason: 'Session 1 is not a profiling run.' });
  });

  it('lists marker labels by how many sessions have them', () => {
    expect(markerChoices([power, run])).toEqual([
      { label: 'radio on', sessions: 2 },
      { label: 'boot', sessions: 1 },
      { label: 'inferences', sessions: 1 },
    ]);
  });
});

describe('overlay segments', () => {
  it('moves bucket middles by the offset and breaks the line at a recorded gap, never across it', () => {
    const trace = {
      tS: [0, 0.1, 0.2, 0.3, 0.6, 0.7],
      mean: [1, 2, 3, 4, 5, 6],
      bucketS: 0.1,
      gaps: [{ startS: 0.4, endS: 0.6, lostSamples: 200, reason: 'unplugged' }],
    };
    const segs = overlaySegments(trace, 0.25);
    expect(segs).toHaveLength(2);
    expect(segs[0]!.x.map((v) => +v.toFixed(9))).toEqual([-0.2, -0.1, 0, 0.1]);
    expect(segs[0]!.y).toEqual([1, 2, 3, 4]);
    expect(segs[1]!.x.map((v) => +v.toFixed(9))).toEqual([0.4, 0.5]);
  });

  it('breaks where buckets are missing even without a gap row, and skips non-finite means', () => {
    const segs = overlaySegments({ tS: [0, 0.1, 0.5, 0.6, 0.7], mean: [1, 1, 2, Number.NaN, 3], bucketS: 0.1, gaps: [] }, 0);
    expect(segs.map((s) => s.y)).toEqual([[1, 1], [2], [3]]);
  });
});

describe('shared histogram', () => {
  it('bins every run on the same edges, each value counted once', () => {
    const h = sharedHistogram(
      [
        [1, 2, 3],
        [3, 4],
      ],
      3,
    )!;
    expect(h.edges).toEqual([1, 2, 3, 4]);
    expect(h.counts).toEqual([
      [1, 1, 1],
      [0, 0, 2],
    ]);
    expect(sharedHistogram([[], []])).toBeNull();
  });
});

describe('side-by-side rows', () => {
  const s = (id: number, kind: 'power' | 'profile', energyJ: number): SessionSummary =>
    ({
      id,
      name: `s${id}`,
      kind,
      status: 'complete',
      statusReason: null,
      startedAt: '2026-01-01T00:00:00Z',
      endedAt: null,
      durationS: 2,
      meter: null,
      model: null,
      backend: null,
      notes: '',
      channels: ['power'],
      sampleRateHz: 1000,
      samples: 2000,
      gaps: 1,
      lostSamples: 10,
      meanPowerW: 0.5,
      energyJ,
      meanCurrentA: 0.1,
      chargeC: 0.2,
    }) as SessionSummary;
  it('puts each session in its column and adds the profiling rows when a run is among them', () => {
    const rows = compareRows([
      { session: s(1, 'power', 1), profile: null },
      { session: s(2, 'profile', 2), profile: run.profile },
    ]);
    const by = (k: string) => rows.find((r) => r.key === k)!.values;
    expect(by('energy')).toEqual(['1.00 J', '2.00 J']);
    expect(by('gaps')).toEqual(['1 (10 samples lost)', '1 (10 samples lost)']);
    expect(by('backend')).toEqual(['—', 'wasm']);
    expect(by('epiP95')).toEqual(['—', '3.00 mJ']);
    expect(by('verdicts')[1]).toBe('hard budget 2MMAC: PASS (100.0 % within)');
    expect(compareRows([{ session: s(1, 'power', 1), profile: null }]).some((r) => r.key === 'model')).toBe(false);
  });
});

describe('sweep lines', () => {
  const pt = (model: string, budget: string, value: number, acc: number | null, e: number | null) => ({
    model,
    mode: 'ddi' as const,
    budget,
    budgetKind: 'energy' as const,
    budgetValue: value,
    sessionId: 1,
    inferences: 10,
    accuracy: acc,
    attribution: 'per-inference',
    energyPerInferenceJ: e,
    activeEnergyPerInferenceJ: null,
    energyCi95J: null,
    latencyMeanS: 0.002,
    macsMean: 1e6,
    fractionWithin: 1,
    verdict: 'pass',
    costTable: null,
  });
  const sweep: Pick<SweepDto, 'curves'> = {
    curves: [
      {
        model: 'a',
        mode: 'ddi',
        costTable: null,
        skipped: [],
        points: [pt('a', '0.8mJ', 8e-4, 0.9, 7e-4), pt('a', '0.4mJ', 4e-4, 0.7, 3.5e-4), pt('a', '0.6mJ', 6e-4, null, 5e-4)],
      },
      { model: 'b', mode: 'ddi', costTable: null, skipped: [], points: [pt('b', '0.4mJ', 4e-4, 0.6, null)] },
    ],
  };
  it('one line per model in cost order, points without accuracy or the axis value left out; energy budgets on the energy axis only', () => {
    const e = sweepLines(sweep, 'energy');
    expect(e.lines.map((l) => [l.model, l.points.map((p) => p.budget)])).toEqual([
      ['a', ['0.4mJ', '0.8mJ']],
      ['b', []],
    ]);
    expect(e.budgets).toEqual([4e-4, 6e-4, 8e-4]);
    expect(sweepLines(sweep, 'latency').budgets).toEqual([]);
    expect(sweepLines(sweep, 'macs').lines[1]!.points).toEqual([{ x: 1e6, y: 0.6, budget: '0.4mJ' }]);
  });
});
