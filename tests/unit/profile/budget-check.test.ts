import { describe, expect, it } from 'vitest';
import { parseBudget } from '../../../main/domain/budget';
import { checkBudget, checkBudgets, isWithin, type InferenceValues } from '../../../main/profile/budget-check';
import { nearestRank, t975 } from '../../../main/profile/stats';

const inf = (seq: number, energyJ: number | null, latencyS: number | null = 0.001, macs: number | null = 1e6): InferenceValues => ({
  seq,
  energyJ,
  latencyS,
  macs,
});

describe('checkBudget', () => {
  it('counts exactly-at-budget as within, for values computed the same way and for ones computed otherwise', () => {
    const b = parseBudget('0.8mJ');
    // Same arithmetic as the parser: bit-for-bit equal to the budget.
    const same = 0.8 * 1e-3;
    expect(same).toBe(b.value);
    const r = checkBudget({ name: 'e', metric: 'energy_per_inference', value: b.value, unit: 'J' }, [inf(1, same), inf(2, 0.0008)]);
    expect(r.pass).toBe(true);
    expect(r.within).toBe(2);
    expect(r.violations).toEqual([]);
    // 10 µs typed by a user is 9.999999999999999e-6 s; an inference of exactly 10 000 ns is 1e-5 s.
    const lat = parseBudget('10us');
    expect(10_000 / 1e9).toBeGreaterThan(lat.value);
    const l = checkBudget({ name: 'l', metric: 'latency_per_inference', value: lat.value, unit: 's' }, [inf(1, null, 10_000 / 1e9)]);
    expect(l.verdict).toBe('pass');
    // One step above the budget is over.
    const over = checkBudget({ name: 'e', metric: 'energy_per_inference', value: 1e-3, unit: 'J' }, [inf(1, 1e-3 * (1 + 1e-9))]);
    expect(over.pass).toBe(false);
    expect(isWithin(1e-3, 1e-3)).toBe(true);
  });

  it('reports fraction within, worst, mean, nearest-rank percentiles and the violations worst first', () => {
    // 20 inferences: 1..20 mJ; budget 15 mJ → 15 within, 16..20 over.
    const values = Array.from({ length: 20 }, (_, i) => inf(100 + i, (i + 1) * 1e-3));
    const r = checkBudget({ name: 'e15', metric: 'energy_per_inference', value: 15e-3, unit: 'J' }, values);
    expect(r.count).toBe(20);
    expect(r.within).toBe(15);
    expect(r.fractionWithin).toBe(0.75);
    expect(r.worst).toBe(20e-3);
    expect(r.mean).toBeCloseTo(10.5e-3, 15);
    // Nearest rank: p50 = 10th of 20, p95 = 19th, p99 = 20th.
    expect([r.p50, r.p95, r.p99]).toEqual([10e-3, 19e-3, 20e-3]);
    expect(r.violations.map((v) => v.seq)).toEqual([119, 118, 117, 116, 115]);
    expect(r.pass).toBe(false);
    expect(r.verdict).toBe('fail');
    expect(r.summary).toMatch(/FAIL, 5 of 20 inferences over, worst 20\.000 mJ/);
    expect(r.valueText).toBe('15.000 mJ');
  });

  it('never counts a missing value as within: the verdict is unknown unless something is over', () => {
    const values = [inf(1, 1e-3), inf(2, null), inf(3, 2e-3)];
    const r = checkBudget({ name: 'e', metric: 'energy_per_inference', value: 5e-3, unit: 'J' }, values);
    expect(r.unmeasured).toBe(1);
    expect(r.unmeasuredSeqs).toEqual([2]);
    expect(r.within).toBe(2);
    expect(r.fractionWithin).toBeCloseTo(2 / 3, 15);
    expect(r.pass).toBe(false);
    expect(r.verdict).toBe('unknown');
    expect(r.summary).toMatch(/not known, 1 of 3 inferences have no value/);
    expect(r.mean).toBeCloseTo(1.5e-3, 15);
    const failing = checkBudget({ name: 'e', metric: 'energy_per_inference', value: 1.5e-3, unit: 'J' }, values);
    expect(failing.verdict).toBe('fail');
    const none = checkBudget({ name: 'e', metric: 'energy_per_inference', value: 1, unit: 'J' }, [inf(1, null)]);
    expect([none.worst, none.p50, none.verdict]).toEqual([null, null, 'unknown']);
  });

  it('checks latency from the record, MACs per inference and the run total', () => {
    const values = [inf(1, 1e-3, 0.004, 20e6), inf(2, 1e-3, 0.005, 21e6)];
    const [lat, macs, run, runOver, runUnknown] = checkBudgets(
      [
        { name: 'lat', metric: 'latency_per_inference', value: 0.005, unit: 's' },
        { name: 'macs', metric: 'macs_per_inference', value: 20e6, unit: 'MAC' },
        { name: 'run', metric: 'energy_per_run', value: 2, unit: 'J' },
      ],
      values,
      2,
    ).concat(
      checkBudgets([{ name: 'run', metric: 'energy_per_run', value: 2, unit: 'J' }], values, 2.0001),
      checkBudgets([{ name: 'run', metric: 'energy_per_run', value: 2, unit: 'J' }], values, null),
    );
    expect(lat!.pass).toBe(true);
    expect(macs!.pass).toBe(false);
    expect(macs!.violations).toEqual([{ seq: 2, value: 21e6 }]);
    expect(run!.pass).toBe(true);
    expect(run!.total).toBe(2);
    expect(runOver!.pass).toBe(false);
    expect(runOver!.summary).toMatch(/FAIL, the run used 2\.000 J/);
    expect(runUnknown!.verdict).toBe('unknown');
    expect(() => checkBudget({ name: 'x', metric: 'macs_per_inference', value: 1, unit: 'J' }, values)).toThrow(/must be in MAC/);
  });
});

describe('nearestRank', () => {
  it('returns one of the values: sorted[ceil(p/100 · n) − 1]', () => {
    const v = [1, 2, 3, 4, 5];
    expect([0, 20, 21, 50, 95, 99, 100].map((p) => nearestRank(v, p))).toEqual([1, 1, 2, 3, 5, 5, 5]);
    expect(() => nearestRank([], 50)).toThrow();
  });
});

describe('t975', () => {
  it('gives Student t quantiles from the table and the expansion (reference values from R qt(0.975, df))', () => {
    expect(t975(1)).toBe(12.706);
    expect(t975(30)).toBe(2.042);
    expect(t975(31)).toBeCloseTo(2.0395, 3);
    expect(t975(60)).toBeCloseTo(2.0003, 3);
    expect(t975(1000)).toBeCloseTo(1.9623, 3);
  });
});
