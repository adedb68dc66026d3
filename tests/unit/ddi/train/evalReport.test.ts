import { describe, expect, it } from 'vitest';
import { configFromFlags } from '../../../../main/cli/commands/train';
import { sweepBudgets } from '../../../../main/cli/commands/eval';
import { decodeCorrectBits, summarizeRecords } from '../../../../main/ddi/train/evalReport';
import type { InferenceRecord } from '../../../../main/ddi/types';
import { isUserError } from '../../../../main/util/errors';

function rec(p: Partial<InferenceRecord>): InferenceRecord {
  return {
    mode: 'ddi',
    budget: { kind: 'macs', value: 10e6, text: '10MMAC' },
    model: 'm',
    backend: 'wasm',
    batchSize: 1,
    sampleIndex: 0,
    predictedClass: 0,
    confidence: 1,
    logits: [],
    exit: null,
    exitId: 'classifier',
    halted: false,
    blocksExecuted: [],
    blocksSkipped: [],
    blocksNotReached: [],
    channelsKept: [],
    macs: 0,
    staticMacs: 20e6,
    predictedLatencyS: null,
    latencyTable: null,
    predictedEnergyJ: null,
    energyTable: null,
    budgetSpent: null,
    startNs: 0,
    endNs: 0,
    ...p,
  };
}

describe('eval report', () => {
  it('aggregates accuracy, MACs, answering exits, skip rates, channels kept and budget compliance', () => {
    const records = [
      rec({
        predictedClass: 1,
        macs: 8e6,
        budgetSpent: 8e6,
        exitId: 'exit0',
        exit: 0,
        halted: true,
        blocksSkipped: [1],
        blocksNotReached: [2],
        channelsKept: [{ layer: 0, kept: 4, total: 16 }],
      }),
      rec({ predictedClass: 2, macs: 10e6, budgetSpent: 10e6, blocksSkipped: [], channelsKept: [{ layer: 0, kept: 12, total: 16 }] }),
      rec({ predictedClass: 3, macs: 12e6, budgetSpent: 12e6, blocksSkipped: [1, 2] }),
      rec({ predictedClass: 0, macs: 6e6, budgetSpent: 6e6, exitId: 'exit0', exit: 0 }),
    ];
    const r = summarizeRecords(records, [1, 2, 0, 0], { model: 'm', dataset: 'd', split: 'test', numLayers: 3 });
    expect(r.accuracy).toBe(0.75);
    expect(r.macs.mean).toBe(9e6);
    expect(r.macs.meanPct).toBeCloseTo(45);
    expect([r.macs.min, r.macs.max]).toEqual([6e6, 12e6]);
    expect(r.macs.histogram.reduce((a, h) => a + h.count, 0)).toBe(4);
    expect(r.answeredBy).toEqual([
      { exit: 'exit0', count: 2, accuracy: 1 },
      { exit: 'classifier', count: 2, accuracy: 0.5 },
    ]);
    expect(r.skipRate.map((s) => s.skipped)).toEqual([0, 0.5, 0.25]);
    expect(r.skipRate[2]!.notReached).toBe(0.25);
    expect(r.channelsKept).toEqual([{ layer: 0, meanKept: 0.5, total: 16 }]);
    expect(r.withinBudget).toBe(0.75); // 12 MMAC exceeds the 10 MMAC budget
    expect(r.halted).toBe(0.25);
    expect(r.correctBits).toBeUndefined();
    // With perImage, the report says which images were right (records 0, 1 and 3 here).
    const withBits = summarizeRecords(records, [1, 2, 0, 0], { model: 'm', dataset: 'd', split: 'test', numLayers: 3, perImage: true });
    expect(decodeCorrectBits(withBits.correctBits!, 4)).toEqual([true, true, false, true]);
    expect(() => decodeCorrectBits(withBits.correctBits!, 9)).toThrow(/another evaluation/);
  });

  it('turns sweep percentages into MAC budgets and drops the infeasible ones', () => {
    const b = sweepBudgets('10%,50%,100%', 20e6, 4e6);
    expect(b.map((x) => x.value)).toEqual([10e6, 20e6]);
    expect(sweepBudgets('12MMAC', 20e6, 4e6)[0]!.value).toBe(12e6);
    expect(() => sweepBudgets('5%', 20e6, 4e6)).toThrow(/minimum/);
  });

  it('builds model configs from train flags and rejects bad ones with a user error', () => {
    const c = configFromFlags({ arch: 'resnet14', gates: 'both', name: 'x', target: '50' } as never);
    expect(c.kind === 'resnet' && c.blocksPerStage).toEqual([2, 2, 2]);
    expect([c.gates.layer, c.gates.channel]).toEqual([true, true]);
    expect(c.gates.skipDownsampling).toBe(true);
    expect(configFromFlags({ arch: 'resnet14', gates: 'layer', skipDownsampling: 'no', name: 'x' } as never).gates.skipDownsampling).toBe(false);
    const d = configFromFlags({ arch: 'densenet', gates: 'channel', name: 'd', blocks: '2,2', growth: '8' } as never);
    expect(d.kind === 'densenet' && d.blockConfig).toEqual([2, 2]);
    const refusals: [object, RegExp][] = [
      [{ arch: 'vgg', gates: 'none' }, /--arch "vgg"/],
      [{ arch: 'resnet14', gates: 'some' }, /--gates "some"/],
      [{ arch: 'densenet', gates: 'layer' }, /DenseNet has no layer gates/],
      [{ arch: 'resnet14', gates: 'both', skipDownsampling: 'never' }, /--skip-downsampling "never" is not yes or no/],
      [{ arch: 'resnet14', gates: 'channel', skipDownsampling: 'no' }, /only applies to layer gates/],
      [{ config: 'm.json', skipDownsampling: 'no' }, /does not combine with --config/],
    ];
    for (const [bad, message] of refusals) {
      try {
        configFromFlags({ name: 'b', gates: 'none', ...bad } as never);
        throw new Error('expected a UserError');
      } catch (e) {
        expect(isUserError(e), String(e)).toBe(true);
        expect((e as Error).message).toMatch(message);
      }
    }
  });
});
