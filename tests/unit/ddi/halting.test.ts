// The halting policy on its own: before each trunk unit, which rows become guaranteed and which halt.
import { describe, expect, it } from 'vitest';
import { haltBeforeUnit, type BudgetPlan, type RowState } from '../../../main/ddi/infer';

const row = (spent: number, answered: boolean): RowState => ({
  spent,
  macs: spent,
  latency: 0,
  energy: 0,
  active: true,
  halted: false,
  guaranteed: false,
  answer: answered ? { exit: 0, logits: new Float32Array(2) } : null,
  lstm: null as never,
  executed: [],
  skipped: [],
  notReached: [],
  channels: [],
});

// One position: the unit costs at most 30, the next answer's head 10, everything left 60, the cheapest way to the next answer 25.
const plan: BudgetPlan = { worst: [30], reserve: [10], remaining: [60], toNextAnswer: [25] };

describe('haltBeforeUnit', () => {
  it('guarantees a row whose worst case to the classifier fits, and it never halts afterwards', () => {
    const r = row(40, true);
    haltBeforeUnit([r], plan, 0, 100);
    expect([r.guaranteed, r.active, r.halted]).toEqual([true, true, false]);
    r.spent = 99;
    haltBeforeUnit([r], plan, 0, 100);
    expect([r.active, r.halted]).toEqual([true, false]);
  });

  it('halts a row with an answer when the unit and the next head would not fit', () => {
    const r = row(61, true); // 61 + 30 + 10 > 100
    haltBeforeUnit([r], plan, 0, 100);
    expect([r.guaranteed, r.active, r.halted]).toEqual([false, false, true]);
  });

  it('halts when even the cheapest way to the next answer would not fit', () => {
    const fits = row(55, true); // 55 + 30 + 10 ≤ 100 and 55 + 25 ≤ 100: runs on
    const cannot = { ...row(55, true) };
    haltBeforeUnit([fits], plan, 0, 100);
    haltBeforeUnit([cannot], { ...plan, toNextAnswer: [46] }, 0, 100); // 55 + 46 > 100
    expect([fits.active, cannot.active, cannot.halted]).toEqual([true, false, true]);
  });

  it('never halts a row that has no answer yet, nor touches inactive rows', () => {
    const unanswered = row(95, false);
    const done = { ...row(95, true), active: false };
    haltBeforeUnit([unanswered, done], plan, 0, 100);
    expect([unanswered.active, unanswered.halted, done.halted]).toEqual([true, false, false]);
  });
});
