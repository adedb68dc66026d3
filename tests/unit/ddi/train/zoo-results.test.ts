import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script module without type declarations (kept on one line: the directive covers only the next line)
import * as zoo from '../../../../scripts/lib/zoo-results.mjs';
import { encodeCorrectBits } from '../../../../main/ddi/train/evalReport';

const { ablation, accuracyAt, headline, mcnemarP, paired, renderResults, replaceBlock, summarize, sweepChecks, BEGIN, END } = zoo;

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
    expect(
      sweepChecks([
        { accuracy: 0.8, withinBudget: 1 },
        { accuracy: 0.85, withinBudget: 1 },
      ]),
    ).toMatchObject({ within: true, rising: true });
    expect(
      sweepChecks([
        { accuracy: 0.8, withinBudget: 1 },
        { accuracy: 0.85, withinBudget: 1 },
      ]),
    ).toMatchObject({ maxDrop: 0, dropAt: null });
    const dip = sweepChecks([
      { accuracy: 0.8, withinBudget: 1, budget: '50%' },
      { accuracy: 0.79, withinBudget: 0.99, budget: '60%' },
    ]);
    expect(dip).toMatchObject({ within: false, rising: false, dropAt: '60%' });
    expect(dip.maxDrop).toBeCloseTo(0.01, 10);
    // The drop is measured from the best smaller budget, not the neighbour: 0.9 → 0.85 → 0.84 is 6 points down.
    const slide = sweepChecks([0.9, 0.85, 0.84, 0.88].map((accuracy, i) => ({ accuracy, withinBudget: 1, budget: `${50 + 10 * i}%` })));
    expect(slide.maxDrop).toBeCloseTo(0.06, 10);
    expect(slide.dropAt).toBe('70%');
  });

  it('computes the exact two-sided McNemar p and pairs two evaluations image by image', () => {
    expect(mcnemarP(0, 10)).toBeCloseTo(2 / 1024, 12);
    expect(mcnemarP(5, 5)).toBe(1);
    expect(mcnemarP(0, 0)).toBe(1);
    // 2 · P(X ≤ 3), X ~ Bin(12, ½) = 2 · (1 + 12 + 66 + 220) / 4096
    expect(mcnemarP(9, 3)).toBeCloseTo(598 / 4096, 12);
    // Thousands of discordant images: no underflow, and a 50/50 split is clearly not significant.
    expect(mcnemarP(1500, 1500)).toBeCloseTo(1, 6);
    expect(mcnemarP(1400, 1600)).toBeLessThan(0.001);
    expect(mcnemarP(1400, 1600)).toBeGreaterThan(0);
    const a = { n: 11, correctBits: encodeCorrectBits([1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1].map(Boolean)) };
    const b = { n: 11, correctBits: encodeCorrectBits([1, 0, 0, 1, 0, 1, 1, 1, 1, 1, 0].map(Boolean)) };
    expect(paired(a, b)).toEqual({ onlyA: 3, onlyB: 2, p: mcnemarP(3, 2) });
    expect(paired(a, { n: 11 })).toBeNull();
    expect(() => paired(a, { n: 20, correctBits: encodeCorrectBits(new Array(20).fill(true)) })).toThrow(/same data set/);
  });

  it('says whether a sweep dip is resolved by the test set, from the stored per-image results', () => {
    const bits = (ok: boolean[]) => encodeCorrectBits(ok);
    // 50 % budget: images 0–5 right; 60 %: images 2–7 right except 6 → one image net lost, 2 vs 1 discordant.
    const p50 = { accuracy: 0.6, withinBudget: 1, budget: '50% (1MMAC)', n: 10, correctBits: bits([1, 1, 1, 1, 1, 1, 0, 0, 0, 0].map(Boolean)) };
    const p60 = { accuracy: 0.5, withinBudget: 1, budget: '60% (1.2MMAC)', n: 10, correctBits: bits([0, 0, 1, 1, 1, 1, 0, 1, 0, 0].map(Boolean)) };
    const c = sweepChecks([p50, p60]);
    expect(c).toMatchObject({ dropAt: '60% (1.2MMAC)', dropFrom: '50% (1MMAC)', dropPaired: { onlyA: 2, onlyB: 1 } });
    const md = renderResults(
      {
        'mgl2s-50': {
          own: { ...p50, mode: 'iadi', macsPct: 50, macsMean: 1e6, macsMin: 1e6, macsMax: 1e6, answeredBy: [] },
          sweep: [
            { ...p50, mode: 'ddi', macsPct: 40 },
            { ...p60, mode: 'ddi', macsPct: 45 },
          ],
        },
      },
      { date: 'D', machine: 'M' },
    );
    expect(md).toContain('**no** (−10.00 points at 60% budget against 50%; 2 images right only at 50%, 1 only at 60%, McNemar p = 1.00)');
    expect(md).toContain(
      "| accuracy rising with budget | **missed** | 0 of 1 curves rise throughout; largest dip, in points: `mgl2s-50` −10.00 (McNemar p = 1.00); 0 of the 1 paired-tested dips are more than the test set's noise (p < 0.05) |",
    );
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
    expect(renderResults(results, { date: 'D', machine: 'M', stale: ['mgl2s-50', 'mgl2s-30'] })).toContain(
      "older recipe than the zoo plan's (shipped until their retraining finishes): `mgl2s-50`.",
    );
    expect(md).toContain('| `static` ≥ 92.5 % | **met** | 93.00 % at 10.00 M MACs |');
    expect(md).toContain(
      '| `mgl2s` at ≤ 50 % of the static MACs within 0.5 points of `static` (93.00 %) | **missed** | best: `mgl2s-50` iadi, 90.00 % at 48.0 % of the MACs, 3.00 points below `static` |',
    );
    expect(md).toContain(
      '| `mgl2s` at least as accurate as `layer-only-50` at equal mean MACs | **not comparable** | `layer-only-50` 89.00 % at 60.0 % of the MACs; outside the mgl2s curve (48.0 %) |',
    );
    expect(md).toContain('| `radi`/`ddi`: 100 % of the images within every hard budget | **met** | every budget of every swept model (1 models) |');
    expect(md).toContain('| accuracy rising with budget | **met** | all 1 curves |');
    // A static model below 92.5 % and a single-grained model inside the curve that beats mgl2s.
    const worse = renderResults(
      {
        ...results,
        static: { ...results.static, own: summarize(report(0.92, 100, null)) },
        'mgl2s-30': { own: summarize(report(0.88, 30, null)), sweep: [] },
        'channel-only-50': { own: summarize(report(0.9, 40, null)), sweep: [] },
      },
      { date: 'D', machine: 'M' },
    );
    expect(worse).toContain('| `static` ≥ 92.5 % | **missed** |');
    expect(worse).toContain(
      '| `mgl2s` at least as accurate as `channel-only-50` at equal mean MACs | **missed** | `channel-only-50` 90.00 % at 40.0 % of the MACs; mgl2s interpolated to the same MACs 89.11 % |',
    );
    expect(md).toContain('| `static` | ddi | — | — | 90.00 % / 40.0 |');
    const doc = `a\n${BEGIN}\nold\n${END}\nb`;
    expect(replaceBlock(doc, 'new')).toBe(`a\n${BEGIN}\nnew\n${END}\nb`);
    expect(() => replaceBlock('no markers', 'x')).toThrow(/markers/);
  });
});
