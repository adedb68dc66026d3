// The domain module holds each product rule once for the core, the CLI and the renderer: it must
// stay importable by the renderer (no Node built-ins), and the rules must say what the app promises.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { calls } from '../../../main/api/contract';
import { countPrefixed, flopsLabel, formatCost, formatMacs, parseMacsText } from '../../../main/domain/cost-format';
import { InferenceRecordSchema, type InferenceRecord } from '../../../main/domain/inference-record';
import { budgetedMode, defaultMode, INFERENCE_MODES, takesBudget, usesGates } from '../../../main/domain/modes';

const DOMAIN = join(__dirname, '../../../main/domain');

describe('domain module', () => {
  it('imports only zod and its own or pure util files, so the renderer can bundle it', () => {
    for (const file of readdirSync(DOMAIN).filter((f) => f.endsWith('.ts'))) {
      const src = readFileSync(join(DOMAIN, file), 'utf8');
      for (const m of src.matchAll(/from '([^']+)'/g)) {
        expect([`zod`, `../util/errors`].includes(m[1]!) || m[1]!.startsWith('./'), `${file} imports ${m[1]}`).toBe(true);
      }
    }
  });

  it('gives a budget to radi and ddi only, gates to iadi and ddi only', () => {
    expect(INFERENCE_MODES.filter(takesBudget)).toEqual(['radi', 'ddi']);
    expect(INFERENCE_MODES.filter(usesGates)).toEqual(['iadi', 'ddi']);
    expect([budgetedMode(true), budgetedMode(false)]).toEqual(['ddi', 'radi']);
    expect([defaultMode(true, true), defaultMode(false, true), defaultMode(true, false), defaultMode(false, false)]).toEqual(['ddi', 'radi', 'iadi', 'static']);
  });

  it('formats MACs with fixed decimals for the CLI and 3 significant digits for the app, FLOPs as 2×MACs', () => {
    expect(formatCost(5_074_368, 'macs')).toBe('5.074 MMAC');
    expect(formatCost(12_500, 'macs')).toBe('12.50 kMAC');
    expect(formatCost(2e9, 'macs')).toBe('2.000 GMAC');
    expect(formatCost(512, 'macs')).toBe('512 MAC');
    expect(formatCost(0.0015, 'energy')).toBe('1.500 mJ');
    expect(formatCost(0.003, 'latency')).toBe('3.000 ms');
    expect(flopsLabel(5_074_368)).toBe('10.149 MFLOP (FLOPs = 2×MACs)');
    expect(formatMacs(5_074_368)).toBe('5.07 MMAC');
    expect(countPrefixed(999.6, 'MAC')).toBe('1.00 kMAC');
    expect(parseMacsText(formatMacs(2_500_000))).toBe(2_500_000);
    expect(parseMacsText('1.5 GMAC')).toBe(1.5e9);
  });
});

describe('inference record over the contract', () => {
  const record: InferenceRecord = {
    mode: 'ddi',
    budget: { kind: 'macs', value: 2e6, text: '2MMAC' },
    model: 'm',
    backend: 'cpu',
    batchSize: 1,
    sampleIndex: 0,
    predictedClass: 3,
    confidence: 0.4,
    logits: [0.1, -2, 3.5],
    exit: 0,
    exitId: 'exit0',
    halted: true,
    blocksExecuted: [0],
    blocksSkipped: [],
    blocksNotReached: [1, 2],
    channelsKept: [{ layer: 0, kept: 3, total: 8 }],
    macs: 1.9e6,
    staticMacs: 5e6,
    predictedLatencyS: 0.001,
    latencyTable: 'latency: profiled on cpu',
    predictedEnergyJ: null,
    energyTable: null,
    budgetSpent: 1.9e6,
    startNs: 1,
    endNs: 2,
  };

  it('reaches the app whole: logits and the cost tables used are not dropped by the contract', () => {
    const run = {
      model: 'm',
      backend: 'cpu',
      mode: 'ddi',
      budget: '2MMAC',
      dataset: 'sample',
      count: 1,
      correct: 1,
      meanMacs: 1.9e6,
      staticMacs: 5e6,
      withinBudget: 1,
      exitCounts: { exit0: 1 },
      meanWallS: 0.001,
      records: [record],
    };
    expect(calls['models.run'].output.parse(run).records[0]).toEqual(record);
  });

  it('refuses a budget of an unknown kind', () => {
    expect(InferenceRecordSchema.safeParse({ ...record, budget: { kind: 'flops', value: 1 } }).success).toBe(false);
  });
});
