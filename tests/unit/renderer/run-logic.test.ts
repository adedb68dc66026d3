// The Run page's pure logic: cost formatting, the run form → models.run input, aggregations over a
// run's records, the virtual scroller's window and the run history store.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { InferenceRecordDto, InferenceRun } from '../../../main/api/contract';
import { BUDGET_UNIT_CHOICES, parseBudget } from '../../../main/domain/budget';
import { takesBudget } from '../../../main/domain/modes';
import { budgetLabel, budgetText, modeCaveat, MODES, suggestedBudget, toRunInput, type RunFormValues } from '../../../renderer/src/run/runForm';
import { blockStats, channelStats, className, exitDistribution, recordRows, summarize, visibleRange } from '../../../renderer/src/run/runStats';
import { addRun, createRunStore, type RunEntry } from '../../../renderer/src/run/runStore';
import { countPrefixed, formatFlops, formatMacs, formatShare, parseMacsText } from '../../../renderer/src/run/units';

function rec(over: Partial<InferenceRecordDto> = {}): InferenceRecordDto {
  return {
    mode: 'ddi',
    budget: null,
    model: 'm',
    backend: 'cpu',
    batchSize: 1,
    sampleIndex: 0,
    label: 1,
    predictedClass: 1,
    confidence: 0.5,
    logits: [],
    exit: null,
    exitId: 'classifier',
    halted: false,
    blocksExecuted: [0, 1, 2, 3],
    blocksSkipped: [],
    blocksNotReached: [],
    channelsKept: [],
    macs: 1000,
    staticMacs: 1000,
    predictedLatencyS: null,
    latencyTable: null,
    predictedEnergyJ: null,
    energyTable: null,
    budgetSpent: null,
    startNs: 0,
    endNs: 1_000_000,
    ...over,
  };
}

function runOf(records: InferenceRecordDto[], over: Partial<InferenceRun> = {}): InferenceRun {
  const exitCounts: Record<string, number> = {};
  for (const r of records) exitCounts[r.exitId] = (exitCounts[r.exitId] ?? 0) + 1;
  return {
    model: 'm',
    backend: 'cpu',
    mode: 'ddi',
    budget: null,
    dataset: 'sample',
    count: records.length,
    correct: records.filter((r) => r.label === r.predictedClass).length,
    meanMacs: records.reduce((a, r) => a + r.macs, 0) / Math.max(1, records.length),
    staticMacs: 1000,
    withinBudget: 1,
    exitCounts,
    meanWallS: 0.002,
    records,
    ...over,
  };
}

describe('MAC and FLOP formatting', () => {
  it('uses k/M/G with 3 significant digits and never milli/micro for counts', () => {
    expect(formatMacs(5_074_368)).toBe('5.07 MMAC');
    expect(formatMacs(40_500_000)).toBe('40.5 MMAC');
    expect(formatMacs(123_456_789)).toBe('123 MMAC');
    expect(formatMacs(2_500)).toBe('2.50 kMAC');
    expect(formatMacs(1_200_000_000)).toBe('1.20 GMAC');
    expect(formatMacs(512)).toBe('512 MAC');
    expect(formatMacs(0.5)).toBe('0.5 MAC');
    expect(formatMacs(null)).toBe('—');
    expect(countPrefixed(56_317, '')).toBe('56.3 k');
  });

  it('labels FLOPs as twice the MACs', () => {
    expect(formatFlops(5_074_368)).toBe('10.1 MFLOPs');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4e9 }), (macs) => {
        expect(formatFlops(macs)).toBe(countPrefixed(macs * 2, 'FLOPs'));
      }),
    );
  });

  it('reads back what it displays, within its rounding', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9e11 }), (macs) => {
        const back = parseMacsText(formatMacs(macs));
        expect(back).not.toBeNull();
        expect(Math.abs(back! - macs) / macs).toBeLessThan(0.006);
      }),
    );
    expect(parseMacsText('10.1 MFLOPs')).toBeNull();
  });

  it('never shows a share below one as 100 %', () => {
    expect(formatShare(1)).toBe('100 %');
    expect(formatShare(0.9995)).toBe('99.9 %');
    expect(formatShare(999 / 1000)).toBe('99.9 %');
    expect(formatShare(0.15)).toBe('15.0 %');
    expect(formatShare(0.432, 0)).toBe('43 %');
    expect(formatShare(null)).toBe('—');
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (f) => {
        expect(formatShare(f)).not.toBe('100 %');
      }),
    );
  });
});

describe('run form → models.run input', () => {
  const base: RunFormValues = { model: 'tiny', mode: 'static', budgetValue: '', budgetUnit: 'MMAC', limit: '100' };

  it('explains every mode and takes a budget only in radi and ddi', () => {
    expect(MODES.map((m) => m.mode)).toEqual(['static', 'iadi', 'radi', 'ddi']);
    for (const m of MODES) expect(m.explain.length).toBeGreaterThan(10);
    expect(MODES.filter((m) => takesBudget(m.mode)).map((m) => m.mode)).toEqual(['radi', 'ddi']);
  });

  it('offers only units the core parses, each of the right kind and scale', () => {
    for (const group of BUDGET_UNIT_CHOICES) {
      for (const unit of group.units) {
        const b = budgetText('2.5', unit);
        expect('text' in b).toBe(true);
        const parsed = parseBudget((b as { text: string }).text);
        expect(parsed.kind).toBe(group.kind);
      }
    }
    expect(parseBudget((budgetText('2.5', 'MMAC') as { text: string }).text).value).toBe(2_500_000);
    expect(parseBudget((budgetText('800', 'us') as { text: string }).text).value).toBeCloseTo(800e-6, 12);
    expect(parseBudget((budgetText('1.5', 'mJ') as { text: string }).text).value).toBeCloseTo(1.5e-3, 12);
  });

  it('assembles the budget text and says what is wrong with a bad one', () => {
    expect(budgetText(' 20 ', 'MMAC')).toEqual({ text: '20MMAC' });
    expect(budgetText('.5', 'ms')).toEqual({ text: '.5ms' });
    expect(budgetText('', 'MMAC')).toEqual({ error: expect.stringMatching(/Enter a budget/) });
    expect(budgetText('0', 'MMAC')).toEqual({ error: 'A budget must be more than zero.' });
    expect(budgetText('-3', 'ms')).toEqual({ error: 'A budget must be more than zero.' });
    expect(budgetText('3 ms', 'ms')).toEqual({ error: expect.stringMatching(/not a number/) });
    // A large number is a number: the core refuses it with its limit, never "not a number".
    expect(budgetText('1e6', 'MAC')).toEqual({ text: '1e6MAC' });
    expect(budgetText('1e99', 'MAC')).toEqual({ text: '1e99MAC' });
    expect(() => parseBudget('1e99MAC')).toThrow('The budget 1e99 MAC is larger than any model here could use; give at most 1e15 MAC.');
    expect(budgetText('3', 'MFLOP')).toEqual({ error: 'Unknown budget unit "MFLOP".' });
  });

  it('sends a budget only where it applies and checks the image count', () => {
    expect(toRunInput({ ...base, budgetValue: '3' })).toEqual({ input: { model: 'tiny', mode: 'static', limit: 100 } });
    expect(toRunInput({ ...base, mode: 'ddi', budgetValue: '2.5' })).toEqual({
      input: { model: 'tiny', mode: 'ddi', budget: '2.5MMAC', limit: 100 },
    });
    expect(toRunInput({ ...base, mode: 'radi' })).toEqual({ error: expect.stringMatching(/^Mode radi needs a hard budget\./), field: 'budget' });
    expect(toRunInput({ ...base, model: '' })).toEqual({ error: 'Choose a model to run.', field: 'model' });
    for (const limit of ['0', '1001', '2.5', 'ten', '']) {
      expect(toRunInput({ ...base, limit })).toEqual({ error: 'Number of images must be a whole number from 1 to 1000.', field: 'limit' });
    }
    expect(toRunInput({ ...base, limit: '1000' })).toEqual({ input: { model: 'tiny', mode: 'static', limit: 1000 } });
  });

  it('suggests half the static cost as a starting budget', () => {
    expect(suggestedBudget(5_074_368)).toEqual({ value: '2.54', unit: 'MMAC' });
    expect(suggestedBudget(90_000)).toEqual({ value: '45', unit: 'kMAC' });
    expect(suggestedBudget(300)).toEqual({ value: '150', unit: 'MAC' });
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 1e12 }), (macs) => {
        const s = suggestedBudget(macs);
        const b = budgetText(s.value, s.unit);
        expect('text' in b).toBe(true);
        expect(parseBudget((b as { text: string }).text).value / (macs / 2)).toBeCloseTo(1, 2);
      }),
    );
  });

  it('says when a mode cannot do what it says with this model', () => {
    const full = { layerGates: true, channelGates: true, exits: 3 };
    for (const m of MODES) expect(modeCaveat(m.mode, full)).toBeNull();
    const staticNet = { layerGates: false, channelGates: false, exits: 0 };
    expect(modeCaveat('static', staticNet)).toBeNull();
    expect(modeCaveat('iadi', staticNet)).toMatch(/no gates: iadi computes exactly what static does/);
    expect(modeCaveat('ddi', staticNet)).toMatch(/no gates/);
    expect(modeCaveat('radi', staticNet)).toMatch(/no early exits/);
    expect(modeCaveat('iadi', { ...full, channelGates: false })).toBe("This model's gates skip blocks only.");
    expect(modeCaveat('ddi', { ...full, layerGates: false })).toBe("This model's gates skip channels only.");
    expect(modeCaveat('radi', { ...full, layerGates: false })).toBeNull();
    expect(modeCaveat('ddi', undefined)).toBeNull();
  });

  it('shows a budget readably without rounding it', () => {
    expect(budgetLabel('2535000MAC')).toBe('2,535,000 MAC');
    expect(budgetLabel('2.5MMAC')).toBe('2.5 MMAC');
    expect(budgetLabel('800us')).toBe('800 us');
    expect(budgetLabel(null)).toBe('—');
  });
});

describe('aggregations over a run', () => {
  const records = [
    rec({
      sampleIndex: 0,
      datasetIndex: 0,
      label: 1,
      predictedClass: 1,
      exitId: 'exit0',
      exit: 0,
      halted: true,
      macs: 400,
      blocksExecuted: [0],
      blocksNotReached: [1, 2, 3],
      startNs: 100,
      endNs: 2_100,
    }),
    rec({
      sampleIndex: 1,
      datasetIndex: 1,
      label: 2,
      predictedClass: 5,
      exitId: 'exit1',
      exit: 1,
      halted: true,
      macs: 600,
      blocksExecuted: [0, 2],
      blocksSkipped: [1],
      blocksNotReached: [3],
      startNs: 5_000,
      endNs: 9_000,
    }),
    rec({
      sampleIndex: 2,
      datasetIndex: 2,
      label: 3,
      predictedClass: 3,
      macs: 800,
      blocksExecuted: [0, 1, 3],
      blocksSkipped: [2],
      channelsKept: [
        { layer: 0, kept: 4, total: 8 },
        { layer: 1, kept: 8, total: 8 },
      ],
      startNs: 0,
      endNs: 6_000,
    }),
    rec({
      sampleIndex: 3,
      datasetIndex: 3,
      label: 3,
      predictedClass: 3,
      macs: 1000,
      channelsKept: [{ layer: 0, kept: 2, total: 8 }],
      startNs: 0,
      endNs: 8_000,
    }),
  ];

  it('summarises accuracy, cost share, wall time and the budget share only when there was a budget', () => {
    const s = summarize(runOf(records, { budget: '700MAC', withinBudget: 0.75 }));
    expect(s.accuracy).toBe(3 / 4);
    expect(s.meanMacs).toBe(700);
    expect(s.macsShare).toBe(0.7);
    expect(s.withinBudget).toBe(0.75);
    expect(s.meanInferenceS).toBeCloseTo((2_000 + 4_000 + 6_000 + 8_000) / 4 / 1e9, 15);
    expect(s.halted).toBe(2);
    expect(summarize(runOf(records)).withinBudget).toBeNull();
    expect(summarize(runOf([], { count: 0, correct: 0 })).accuracy).toBeNull();
  });

  it('gives one bar per exit in network order, zeros included, and keeps unannounced ids', () => {
    const bars = exitDistribution({ classifier: 2, exit1: 1, exit0: 1 }, 3);
    expect(bars.map((b) => [b.exitId, b.count])).toEqual([
      ['exit0', 1],
      ['exit1', 1],
      ['exit2', 0],
      ['classifier', 2],
    ]);
    expect(bars.reduce((a, b) => a + b.share, 0)).toBeCloseTo(1, 12);
    expect(exitDistribution({ weird: 1 }, 0).map((b) => b.exitId)).toEqual(['classifier', 'weird']);
    expect(exitDistribution({}, 1).every((b) => b.share === 0)).toBe(true);
  });

  it('counts skipped and unreached blocks per block', () => {
    const stats = blockStats(records);
    expect(stats).toHaveLength(4);
    expect(stats.map((b) => b.skipped)).toEqual([0, 1, 1, 0]);
    expect(stats.map((b) => b.notReached)).toEqual([0, 1, 1, 2]);
    expect(stats.map((b) => b.executed)).toEqual([4, 2, 2, 2]);
    expect(stats[3]!.notReachedRate).toBe(0.5);
    expect(stats[1]!.skipRate).toBe(0.25);
    // Every inference accounts for every block exactly once.
    for (const b of stats) expect(b.executed + b.skipped + b.notReached).toBe(records.length);
    expect(blockStats([])).toEqual([]);
  });

  it('averages kept channels per layer over the inferences that ran it', () => {
    expect(channelStats(records)).toEqual([
      { layer: 0, keptShare: 6 / 16, samples: 2 },
      { layer: 1, keptShare: 1, samples: 1 },
    ]);
    expect(channelStats([rec()])).toEqual([]);
  });

  it('turns records into table rows with wall time from endNs − startNs', () => {
    const rows = recordRows(records);
    expect(rows.map((r) => r.index)).toEqual([0, 1, 2, 3]);
    expect(rows[1]).toMatchObject({ label: 2, predicted: 5, correct: false, exitId: 'exit1', macs: 600, halted: true });
    expect(rows[1]!.wallS).toBeCloseTo(4e-6, 15);
    expect(recordRows([rec({ label: undefined })])[0]!.correct).toBeUndefined();
    expect(className('fashion-mnist', 9)).toBe('9 Ankle boot');
    expect(className('other', 9)).toBe('9');
    expect(className(undefined, undefined)).toBe('—');
  });
});

describe('virtual scroller window', () => {
  it('covers every row in view, with overscan, inside the table', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 30, max: 1000 }), (total, scrollTop, viewport) => {
        const row = 30;
        const { start, end } = visibleRange(scrollTop, viewport, row, total, 5);
        expect(start).toBeGreaterThanOrEqual(0);
        expect(end).toBeLessThanOrEqual(total);
        expect(start).toBeLessThanOrEqual(end);
        // Every row that intersects the viewport (once the scroll is clamped to the table) is rendered.
        const maxTop = Math.max(0, total * row - viewport);
        const top = Math.min(scrollTop, maxTop);
        const firstVisible = Math.floor(top / row);
        const lastVisible = Math.min(total - 1, Math.floor((top + viewport - 1) / row));
        if (total > 0) {
          expect(start).toBeLessThanOrEqual(firstVisible);
          expect(end).toBeGreaterThan(lastVisible);
        }
        expect(end - start).toBeLessThanOrEqual(Math.ceil(viewport / row) + 1 + 2 * 5);
      }),
    );
  });
});

describe('run history store', () => {
  const input = { model: 'tiny', mode: 'static' as const, limit: 20 };

  it('keeps the newest few runs, newest first', () => {
    let runs: RunEntry[] = [];
    for (let i = 1; i <= 9; i++) runs = addRun(runs, { seq: i, input, model: undefined, run: runOf([rec()]) }, 6);
    expect(runs.map((r) => r.seq)).toEqual([9, 8, 7, 6, 5, 4]);
  });

  it('is busy while a run is in flight, selects the new result, and ignores a second click meanwhile', async () => {
    const store = createRunStore();
    let finish: (r: InferenceRun) => void = () => {};
    let calls = 0;
    const api = {
      call: () => {
        calls++;
        return new Promise((resolve) => (finish = resolve as (r: InferenceRun) => void));
      },
    } as never;
    const seen: Array<boolean> = [];
    store.subscribe(() => seen.push(store.get().pending !== null));
    const done = store.run(api, input, undefined);
    expect(store.get().pending).toEqual(input);
    void store.run(api, { ...input, limit: 5 }, undefined);
    expect(calls).toBe(1);
    finish(runOf([rec(), rec()]));
    await done;
    expect(store.get().pending).toBeNull();
    expect(store.get().runs).toHaveLength(1);
    expect(store.get().selected).toBe(store.get().runs[0]!.seq);
    expect(seen).toEqual([true, false]);
  });

  it('keeps the error sentence and the earlier runs when a run is refused', async () => {
    const store = createRunStore();
    await store.run({ call: async () => runOf([rec()]) } as never, input, undefined);
    const refusal = Object.assign(new Error('Budget 1MAC is below the minimum of 2.090 MMAC needed to reach the first exit in ddi mode.'), {
      code: 'budget-too-small',
    });
    await store.run({ call: async () => Promise.reject(refusal) } as never, { ...input, mode: 'ddi', budget: '1MAC' }, undefined);
    expect(store.get().error).toBe(refusal);
    expect(store.get().runs).toHaveLength(1);
    expect(store.get().pending).toBeNull();
    store.clearError();
    expect(store.get().error).toBeNull();
  });
});
