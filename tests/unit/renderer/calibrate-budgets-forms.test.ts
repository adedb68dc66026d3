// The pure logic of the Budgets page, the profiling options and the Calibrate page: what each form
// sends, the one sentence (and field) for what it refuses, and the calibration store's life cycle
// against a fake transport.
import { describe, expect, it } from 'vitest';
import type { CalibrationProgressDto, CostTableSummary } from '../../../main/api/contract';
import { budgetValueText, budgetsForModel, emptyBudgetForm, toBudgetInput } from '../../../renderer/src/budgets/budgetForm';
import { calibrationProgressText, DEFAULT_CALIBRATE_FORM, splitParameters, toCalibrateInput } from '../../../renderer/src/calibrate/calibrateForm';
import { createCalibrateStore } from '../../../renderer/src/calibrate/calibrateStore';
import { ANALYTIC_LABEL, costTableOptions } from '../../../renderer/src/profile/costTableChoice';
import { DEFAULT_PROFILE_PARAMS, profileParams } from '../../../renderer/src/profile/profileParams';

describe('budget form', () => {
  it('sends the value with its unit and says what is wrong beside the field', () => {
    expect(toBudgetInput({ ...emptyBudgetForm(), name: ' mcu ', value: '0.8', unit: 'mJ', notes: 'board A' })).toEqual({
      input: { name: 'mcu', metric: 'energy_per_inference', value: '0.8mJ', notes: 'board A' },
    });
    expect(toBudgetInput({ ...emptyBudgetForm(), name: 'm', metric: 'macs_per_inference', value: '20', unit: 'MMAC', model: 'static' })).toEqual({
      input: { name: 'm', metric: 'macs_per_inference', value: '20MMAC', model: 'static' },
    });
    expect(toBudgetInput({ ...emptyBudgetForm(), value: '1' })).toEqual({ error: 'Give the budget a name, e.g. mcu-energy.', field: 'name' });
    expect(toBudgetInput({ ...emptyBudgetForm(), name: 'x', value: '-1' })).toEqual({
      error: '"-1" is not a number; write the value like 0.8 or 500.',
      field: 'value',
    });
    expect(toBudgetInput({ ...emptyBudgetForm(), name: 'x', value: '0' })).toEqual({ error: 'A budget must be a positive number.', field: 'value' });
    // A unit of another metric (left over from switching) is not sent.
    expect(toBudgetInput({ ...emptyBudgetForm(), name: 'x', value: '1', unit: 'ms' })).toMatchObject({ field: 'value' });
  });

  it('shows stored SI values readably and offers a model only its own and the general budgets', () => {
    expect(budgetValueText({ metric: 'energy_per_inference', value: 8e-4 })).toBe('800 µJ');
    expect(budgetValueText({ metric: 'latency_per_inference', value: 0.005 })).toBe('5.00 ms');
    expect(budgetValueText({ metric: 'macs_per_inference', value: 2e7 })).toBe('20 MMAC');
    const b = (name: string, model: string | null) => ({
      id: 1,
      name,
      metric: 'energy_per_run' as const,
      value: 1,
      unit: 'J',
      model,
      notes: '',
      createdAt: '',
    });
    expect(budgetsForModel([b('any', null), b('mine', 'a'), b('other', 'b')], 'a').map((x) => x.name)).toEqual(['any', 'mine']);
  });
});

describe('profiling options', () => {
  it('sends dataset, checks, cost table, margin as a fraction and the backend; refuses a margin without a budget', () => {
    const v = {
      ...DEFAULT_PROFILE_PARAMS,
      warmup: '2',
      baselineS: '0.5',
      dataset: 'fashion-mnist' as const,
      checks: ['mcu'],
      costTable: 'tiny',
      marginPct: '10',
      backend: 'wasm' as const,
    };
    expect(profileParams(v)).toEqual({
      params: { warmup: 2, baselineS: 0.5, dataset: 'fashion-mnist', checks: ['mcu'], costTable: 'tiny', margin: 0.1, backend: 'wasm' },
    });
    expect(profileParams(v, false)).toEqual({ error: 'A margin shrinks a hard budget; choose mode radi or ddi with a budget, or set the margin to 0.' });
    expect(profileParams({ ...v, marginPct: '90' })).toEqual({ error: 'The margin must be a percentage from 0 to 89.' });
    expect(profileParams({ ...v, marginPct: 'abc' })).toHaveProperty('error');
    expect(profileParams({ ...v, marginPct: '0' }, false)).toHaveProperty('params');
  });

  it('offers the analytic table first, usable calibrated tables, and refused ones disabled with the reason', () => {
    const t = (name: string, usable: boolean, reason: string | null): CostTableSummary => ({
      name,
      model: { name: 'tiny', hash: 'h' },
      backend: { name: 'wasm', version: '4' },
      machine: { cpuModel: 'cpu', cores: 2, arch: 'x64', platform: 'linux' },
      meter: { spec: 'sim', label: 'sim', simulated: true },
      createdAt: '2025-01-02T00:00:00.000Z',
      heldOutEnergyMape: 0.042,
      usable,
      reason,
    });
    const c = costTableOptions([t('good', true, null), t('bad', false, 'Cost table bad was calibrated on another machine.')], 'bad');
    expect(c.options.map((o) => [o.value, o.disabled])).toEqual([
      ['', false],
      ['good', false],
      ['bad', true],
    ]);
    expect(c.options[0]!.label).toBe(ANALYTIC_LABEL);
    expect(c.options[1]!.label).toBe('good (calibrated 2025-01-02 on wasm, SIMULATED meter, held-out error 4.2 %)');
    expect(c.refused).toEqual([{ name: 'bad', reason: 'Cost table bad was calibrated on another machine.' }]);
    expect(c.selectedProblem).toBe('Cost table bad was calibrated on another machine.');
    expect(costTableOptions(null, 'pending').options.map((o) => o.value)).toEqual(['', 'pending']);
    expect(costTableOptions([], 'gone').selectedProblem).toMatch(/^Cost table gone is not stored/);
  });
});

describe('calibrate form and progress', () => {
  const gated = { id: 'tiny', layerGates: true, channelGates: false };
  it('needs the runs a model can be identified with, and checks every number', () => {
    expect(
      toCalibrateInput(gated, { ...DEFAULT_CALIBRATE_FORM, runs: '4', limit: '60', backend: 'wasm', name: 'tiny-1', warmup: '2', baselineS: '0.3' }),
    ).toEqual({
      input: { model: 'tiny', runs: 4, limit: 60, warmup: 2, baselineS: 0.3, precision: 0.03, maxDurationS: 300, backend: 'wasm', name: 'tiny-1' },
    });
    // Precision in %, the time limit in minutes.
    expect(toCalibrateInput(gated, { ...DEFAULT_CALIBRATE_FORM, precisionPct: '1.5', maxMinutes: '0.5' })).toMatchObject({
      input: { precision: 0.015, maxDurationS: 30 },
    });
    expect(toCalibrateInput(gated, { ...DEFAULT_CALIBRATE_FORM, precisionPct: '0' })).toEqual({
      error: 'The precision must be a percentage above 0 and at most 50.',
      field: 'precision',
    });
    expect(toCalibrateInput(gated, { ...DEFAULT_CALIBRATE_FORM, maxMinutes: '' })).toMatchObject({ field: 'maxTime' });
    expect(toCalibrateInput(gated, { ...DEFAULT_CALIBRATE_FORM, runs: '3' })).toEqual({
      error: 'Runs must be a whole number from 4 to 50 (static and iadi plus at least two budgeted runs, one held out).',
      field: 'runs',
    });
    expect(toCalibrateInput({ ...gated, layerGates: false }, { ...DEFAULT_CALIBRATE_FORM, runs: '3' })).toHaveProperty('input');
    expect(toCalibrateInput(gated, { ...DEFAULT_CALIBRATE_FORM, limit: '5' })).toMatchObject({ field: 'limit' });
    expect(toCalibrateInput(gated, { ...DEFAULT_CALIBRATE_FORM, name: '../x' })).toMatchObject({ field: 'name' });
    // Segments: at least 20 inferences each; empty leaves the default to the core.
    expect(toCalibrateInput(gated, { ...DEFAULT_CALIBRATE_FORM, limit: '200', segments: '5' })).toMatchObject({ input: { segments: 5 } });
    expect(toCalibrateInput(gated, { ...DEFAULT_CALIBRATE_FORM, limit: '60', segments: '4' })).toEqual({
      error: 'Segments must be a whole number from 1 to 3 for 60 inferences per run (at least 20 per segment), or empty for the default.',
      field: 'segments',
    });
    expect(toCalibrateInput(undefined, DEFAULT_CALIBRATE_FORM)).toEqual({ error: 'Choose a model to calibrate.', field: 'model' });
  });

  it('says which run and phase, and splits the identified parameters from those the runs could not tell', () => {
    expect(calibrationProgressText({ phase: 'inferences', run: 2, runs: 6, done: 40, total: 200 })).toBe('Session 2 of 6 · Inferences 40 of 200');
    expect(calibrationProgressText({ phase: 'baseline', run: 1, runs: 4, done: 0, total: 1 })).toBe('Session 1 of 4 · Measuring the idle baseline');
    expect(calibrationProgressText({ phase: 'fit', run: 4, runs: 4, done: 0, total: 1 })).toBe('Fitting the cost tables');
    const s = splitParameters([
      { name: 'block.macs', status: 'fitted', value: 1e-12, se: 1e-14, note: null },
      { name: 'stem.macs', status: 'folded', value: 0, se: null, note: 'the same in every observation' },
    ]);
    expect(s.identified.map((p) => p.name)).toEqual(['block.macs']);
    expect(s.unidentified.map((p) => p.name)).toEqual(['stem.macs']);
  });

  it('follows a calibration from start to its result, and keeps a refusal as the error', async () => {
    type Listener = (p: CalibrationProgressDto) => void;
    let listener: Listener | null = null;
    const calls: string[] = [];
    const api = {
      call: async (name: string) => {
        calls.push(name);
        return { ok: true };
      },
      on: (_: string, l: Listener) => {
        listener = l;
        return () => (listener = null);
      },
    } as never;
    const store = createCalibrateStore(() => 1000);
    await store.start(api, { model: 'tiny', runs: 4, limit: 60 });
    expect(store.get().running).not.toBeNull();
    const base = { run: 1, runs: 4, sessionId: 3, done: 10, total: 60, elapsedS: 2, etaS: 20 };
    (listener as unknown as Listener)({ ...base, phase: 'inferences' });
    expect(store.get().running?.progress?.done).toBe(10);
    (listener as unknown as Listener)({ ...base, phase: 'done', result: { costTable: { name: 'tiny-1' } } });
    expect(store.get().running).toBeNull();
    expect(store.get().result?.costTable.name).toBe('tiny-1');
    expect(listener).toBeNull();

    const refusing = { call: async () => Promise.reject(new Error('Connect a meter first.')), on: () => () => undefined } as never;
    await store.start(refusing, { model: 'tiny', runs: 4, limit: 60 });
    expect(store.get().running).toBeNull();
    expect((store.get().error as Error).message).toBe('Connect a meter first.');
    expect(calls).toEqual(['calibrate.start']);
  });
});

describe('calibrate form warm-up', () => {
  it('leaves the warm-up to the core (one pass over each run’s inputs) when the field is empty, as it is by default', () => {
    const model = { id: 'tiny', layerGates: true, channelGates: true };
    const out = toCalibrateInput(model, { ...DEFAULT_CALIBRATE_FORM, runs: '4', limit: '60' });
    expect('input' in out && out.input.warmup).toBe(undefined);
    expect(DEFAULT_CALIBRATE_FORM.warmup).toBe('');
    const bad = toCalibrateInput(model, { ...DEFAULT_CALIBRATE_FORM, warmup: '-1' });
    expect(bad).toMatchObject({ field: 'warmup' });
  });
});
