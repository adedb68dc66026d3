import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script module without type declarations
import { ablation, accuracyAt, headline, renderResults, replaceBlock, summarize, sweepChecks, BEGIN, END } from '../../../scripts/lib/zoo-results.mjs';

const pt = (macsPct: number, accuracy: number, extra: Record<string, unknown> = {}) => ({ macsPct, accuracy, ...extra });

describe('zoo results (scripts/lib/zoo-results.mjs)', () => {
  it('interpolates a curve linearly and refuses to extrapolate', () => {
    const curve = [pt(70, 0.92), pt(30, 0.88), pt(50, 0.91)];
    expect(accuracyAt(curve, 50)).toBeCloseTo(0.91, 12);
    expect(accuracyAt(curve, 40)).toBeCloseTo(0.895, 12);
    expect(accuracyAt(curve, 60)).toBeCloseTo(0.915, 12);
    expect(accuracyAt(curve, 29.9)).toBeNull();
    expect(accuracyAt(curve, 70.1)).toBeNull();
    expect(accuracyAt([], 50)).toBeNull();
  });

  it('judges the headline target only on mgl2s models at or below 50 % of the MACs', () => {
    // The 70 % model is within 0.5 points but too expensive; the 49 % one is 0.6 points below.
    const h = headline(0.93, [pt(70, 0.929), pt(49, 0.924), pt(30, 0.9)]);
    expect(h.met).toBe(false);
    expect(h.best.macsPct).toBe(49);
    expect(h.gap).toBeCloseTo(0.006, 12);
    expect(headline(0.93, [pt(49, 0.9255)]).met).toBe(true);
    expect(headline(0.93, [pt(51, 0.93)])).toEqual({ met: false, best: null, gap: null });
  });

  it('compares a single-grained model with the mgl2s curve at its own MACs', () => {
    const mg = [pt(30, 0.88), pt(50, 0.91), pt(70, 0.92)];
    expect(ablation(mg, pt(40, 0.89))).toMatchObject({ met: true });
    expect(ablation(mg, pt(40, 0.9)).met).toBe(false);
    expect(ablation(mg, pt(80, 0.9)).met).toBeNull();
  });

  it('checks sweeps for budget compliance and rising accuracy', () => {
    expect(sweepChecks([{ accuracy: 0.8, withinBudget: 1 }, { accuracy: 0.85, withinBudget: 1 }])).toMatchObject({ within: true, rising: true });
    expect(sweepChecks([{ accuracy: 0.8, withinBudget: 1 }, { accuracy: 0.85, withinBudget: 1 }])).toMatchObject({ maxDrop: 0, dropAt: null });
    const dip = sweepChecks([{ accuracy: 0.8, withinBudget: 1, budget: '50%' }, { accuracy: 0.79, withinBudget: 0.99, budget: '60%' }]);
    expect(dip).toMatchObject({ within: false, rising: false, dropAt: '60%' });
    expect(dip.maxDrop).toBeCloseTo(0.01, 10);
    // The drop is measured from the best smaller budget, not the neighbour: 0.9 → 0.85 → 0.84 is 6 points down.
    const slide = sweepChecks([0.9, 0.85, 0.84, 0.88].map((accuracy, i) => ({ accuracy, withinBudget: 1, budget: `${50 + 10 * i}%` })));
    expect(slide.maxDrop).toBeCloseTo(0.06, 10);
    expect(slide.dropAt).toBe('70%');
  });

  it('summarizes an eval report and renders a block that states a missed target', () => {
    const report = (accuracy: number, meanPct: number, budget: string | null) => ({
      mode: budget ? 'ddi' : 'iadi',
      budget,
      n: 100,
      accuracy,
      macs: { mean: meanPct * 1e5, min: 1e6, max: 2e7, meanPct },
      withinBudget: budget ? 1 : null,
      answeredBy: [{ exit: 'classifier', count: 100, accuracy }],
      skipRate: [{ layer: 0, skipped: 0, notReached: 0 }],
      channelsKept: [{ layer: 0, meanKept: 12, total: 16 }],
    });
    const s = summarize(report(0.9, 48, null));
    expect(s).toMatchObject({ accuracy: 0.9, macsPct: 48, withinBudget: null, channelsKept: [{ layer: 0, meanKept: 12, total: 16 }] });
    const results = {
      static: { own: summarize(report(0.93, 100, null)), sweep: [summarize(report(0.9, 40, '50% (10MMAC)')), summarize(report(0.93, 100, '100% (20MMAC)'))] },
      'mgl2s-50': { own: s, sweep: [] },
      'layer-only-50': { own: summarize(report(0.89, 60, null)), sweep: [] },
    };
    const md = renderResults(results, { date: 'D', machine: 'M' });
    expect(md).not.toContain('older recipe');
    // Only models in the table are named as stale.
    expect(renderResults(results, { date: 'D', machine: 'M', stale: ['mgl2s-50', 'mgl2s-30'] })).toContain("older recipe than the zoo plan's (shipped until their retraining finishes): `mgl2s-50`.");
    expect(md).toContain('**missed**, best `mgl2s-50` iadi: 90.00 % at 48.0 %');
    expect(md).toContain('not comparable yet');
    expect(md).toContain('| `static` | ddi | — | — | 90.00 % / 40.0 |');
    const doc = `a\n${BEGIN}\nold\n${END}\nb`;
    expect(replaceBlock(doc, 'new')).toBe(`a\n${BEGIN}\nnew\n${END}\nb`);
    expect(() => replaceBlock('no markers', 'x')).toThrow(/markers/);
  });
});
