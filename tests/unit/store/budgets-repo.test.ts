import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BudgetsRepo } from '../../../main/store/budgets-repo';
import { openDatabase } from '../../../main/store/database';

const repo = (): BudgetsRepo => new BudgetsRepo(openDatabase(join(mkdtempSync(join(tmpdir(), 'ddi-budgets-')), 'db.sqlite')));

describe('BudgetsRepo', () => {
  it('stores budgets in SI units with their metric, model and notes, listed by name', () => {
    const r = repo();
    const e = r.add({ name: 'mcu', metric: 'energy_per_inference', value: 0.8e-3, notes: 'nRF52 target' });
    r.add({ name: 'fast', metric: 'latency_per_inference', value: 5e-3, model: 'mgl2s-50' });
    r.add({ name: 'run', metric: 'energy_per_run', value: 2 });
    expect(e).toMatchObject({ name: 'mcu', metric: 'energy_per_inference', value: 0.8e-3, unit: 'J', model: null, notes: 'nRF52 target' });
    expect(r.list().map((b) => [b.name, b.unit])).toEqual([
      ['fast', 's'],
      ['mcu', 'J'],
      ['run', 'J'],
    ]);
    expect(r.get('fast')!.model).toBe('mgl2s-50');
    expect(r.resolve(['run', 'mcu']).map((b) => b.name)).toEqual(['run', 'mcu']);
  });

  it('refuses a taken name, a bad value, an unknown name and a budget of another model', () => {
    const r = repo();
    r.add({ name: 'mcu', metric: 'energy_per_inference', value: 1e-3, model: 'static' });
    expect(() => r.add({ name: ' mcu ', metric: 'latency_per_inference', value: 1 })).toThrow(/A budget named "mcu" already exists/);
    for (const value of [0, -1, Infinity, NaN]) expect(() => r.add({ name: 'x', metric: 'energy_per_run', value })).toThrow(/positive finite number/);
    expect(() => r.add({ name: '', metric: 'energy_per_run', value: 1 })).toThrow(/not a usable budget name/);
    expect(() => r.remove('nope')).toThrow(/There is no budget named "nope"/);
    expect(() => r.resolve(['mcu'], 'ddi-50')).toThrow(/is for model static, not ddi-50/);
    expect(r.resolve(['mcu'], 'static')).toHaveLength(1);
    expect(r.list()).toHaveLength(1);
    expect(r.remove('mcu').name).toBe('mcu');
    expect(r.list()).toEqual([]);
  });
});
