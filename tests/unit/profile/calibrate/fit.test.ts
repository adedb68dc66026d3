/**
 * The cost fit on synthetic runs generated from a known per-kind table plus noise: identifiable
 * costs come back within 5 %, the ones the runs cannot identify are flagged (folded into the
 * intercept, pooled, absent), and window-mode observations (a window's mean energy with its mean
 * features) recover the same table.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../../../main/ddi/config';
import { readModelFile } from '../../../../main/ddi/io';
import { buildLayout } from '../../../../main/ddi/layout';
import { featuresOf, meanFeatures, UnitCatalog, UNIT_KINDS, type Charge, type InferenceFeatures } from '../../../../main/profile/calibrate/features';
import { fitCosts, perKindParameters, predict, type Observation } from '../../../../main/profile/calibrate/fit';
import { nnls } from '../../../../main/profile/calibrate/linalg';
import { gaussian, mulberry32 as rng } from '../../../../main/util/prng';

const cat = new UnitCatalog(buildLayout(readModelFile(resolve('data/models/mgl2s-50')).architecture as ModelConfig));

/** One inference's charges as the engine would make them, with random gate decisions and halts. */
function randomCharges(mode: string, rand: () => number, pHalt: number): Charge[] {
  const lay = cat.layout;
  const gating = mode === 'iadi' || mode === 'ddi';
  const budgeted = mode === 'radi' || mode === 'ddi';
  const halt = budgeted && rand() < pHalt ? Math.floor(rand() * lay.exits.length) : -1;
  const stopAt = halt >= 0 ? lay.exits[halt]!.afterTrunk + 1 : lay.trunk.length;
  const headsTo = halt >= 0 ? halt + 1 : budgeted ? Math.floor(rand() * (lay.exits.length + 1)) : 0;
  const out: Charge[] = [];
  for (let ti = 0; ti < stopAt; ti++) {
    const u = lay.trunk[ti]!;
    const full = cat.info(u.id).channels;
    if (!gating || (!u.layerGated && u.groups === 0)) out.push({ id: u.id, kept: full });
    else {
      let run = true;
      if (u.layerGated) {
        out.push({ id: `gate.layer${u.layer}`, kept: 0 });
        run = rand() > 0.35;
        if (!run && u.projection) out.push({ id: `${u.id}.shortcut`, kept: 0 });
      }
      if (run) {
        let kept = full;
        if (u.groups > 0) {
          out.push({ id: `gate.channel${u.layer}`, kept: 0 });
          kept = 0;
          for (let g = 0; g < u.groups; g++) if (rand() < 0.6) kept += Math.min(4, u.gatedChannels - 4 * g);
        }
        out.push({ id: u.id, kept });
      }
    }
    for (const e of lay.exits) if (e.afterTrunk === ti && e.index < headsTo) out.push({ id: e.id, kept: 0 });
  }
  if (halt < 0) out.push({ id: 'classifier', kept: 0 });
  return out;
}

// A board: J per MAC and J per executed unit for each kind, plus a fixed per-inference overhead.
const RATE: Record<string, number> = {
  stem: 2e-10,
  block: 1.5e-10,
  shortcut: 4e-10,
  'layer-gate': 6e-9,
  'channel-gate': 3e-9,
  exit: 2.5e-10,
  classifier: 8e-10,
};
// Per-unit costs of tens of µJ: kernel launches and read-backs at batch 1 are of that order.
const PER_UNIT: Record<string, number> = {
  stem: 4e-5,
  block: 3e-5,
  shortcut: 2e-5,
  'layer-gate': 2.5e-5,
  'channel-gate': 1.5e-5,
  exit: 4e-5,
  classifier: 6e-5,
};
const INTERCEPT = 1.2e-4;
const truth = (f: InferenceFeatures) =>
  Object.keys(RATE).reduce((s, k) => s + RATE[k]! * f.values[`${k}.macs`]! + PER_UNIT[k]! * f.values[`${k}.units`]!, INTERCEPT);

function runs(modes: [string, number][], perRun: number, noise: number, seed: number): InferenceFeatures[][] {
  const rand = rng(seed);
  return modes.map(([mode, pHalt]) => Array.from({ length: perRun }, () => featuresOf(cat, randomCharges(mode, rand, pHalt))));
}

function observe(feats: InferenceFeatures[], noise: number, rand: () => number): Observation[] {
  return feats.map((f) => ({ values: f.values, y: truth(f) * (1 + noise * gaussian(rand)) }));
}

const params = perKindParameters(UNIT_KINDS);
const byName = (fit: ReturnType<typeof fitCosts>, name: string) => fit.parameters.find((p) => p.name === name)!;
const CALIBRATION: [string, number][] = [
  ['static', 0],
  ['iadi', 0],
  ['radi', 0.3],
  ['radi', 0.8],
  ['ddi', 0.2],
  ['ddi', 0.5],
  ['ddi', 0.9],
];

describe('cost fit (NNLS) on synthetic runs from a known table', () => {
  it('recovers identifiable per-kind costs within 5 % with 1 % noise, folds the stem into the intercept, says what is absent', () => {
    const rand = rng(99);
    const obs = runs(CALIBRATION, 800, 0.01, 5).flatMap((r) => observe(r, 0.01, rand));
    const fit = fitCosts(obs, params);
    // The stem runs once in every inference: not separable from the fixed overhead.
    expect(byName(fit, 'stem.macs').status).toBe('folded');
    expect(byName(fit, 'stem.units').status).toBe('folded');
    const stemMacs = cat.info('stem').macs.fixed;
    expect(Math.abs(fit.intercept - (INTERCEPT + RATE.stem! * stemMacs + PER_UNIT.stem!)) / INTERCEPT).toBeLessThan(0.05);
    // A ResNet has no transitions or dense layers.
    for (const n of ['transition.macs', 'transition.units', 'dense.macs', 'dense.units']) expect(byName(fit, n).status).toBe('absent');
    // Every parameter the fit calls identified is within 5 % of the truth, and the important ones are identified.
    // The classifier is one unit of fixed MACs: its per-unit cost cannot be told from its per-MAC
    // rate, so the rate carries both (and says so).
    expect(byName(fit, 'classifier.units').status).toBe('folded');
    expect(byName(fit, 'classifier.units').note).toMatch(/classifier\.macs/);
    const clsMacs = cat.info('classifier').macs.fixed;
    const fitted = fit.parameters.filter((p) => p.status === 'fitted');
    for (const p of fitted) {
      const [kind, q] = p.name.split('.') as [string, string];
      const want = p.name === 'classifier.macs' ? RATE[kind]! + PER_UNIT[kind]! / clsMacs : q === 'macs' ? RATE[kind]! : PER_UNIT[kind]!;
      expect(Math.abs(p.value - want) / want, `${p.name} = ${p.value} (truth ${want})`).toBeLessThan(0.05);
    }
    expect(fitted.map((p) => p.name)).toEqual(expect.arrayContaining(['block.macs', 'block.units', 'exit.macs', 'exit.units', 'classifier.macs']));
    // Whatever was not fitted freely says why in one sentence.
    for (const p of fit.parameters.filter((q) => q.status !== 'fitted')) expect(p.note).toMatch(/^[A-Z].*\.$/);
    // The gates' per-MAC and per-unit costs are nearly proportional (their MACs differ little): flagged weak, not claimed.
    expect(byName(fit, 'layer-gate.macs').status).toBe('weak');
    expect(fit.residuals.mape!).toBeLessThan(0.03);
  });

  it('runs without halting cannot identify exits or the classifier: flagged absent and folded', () => {
    const rand = rng(7);
    const obs = runs(
      [
        ['static', 0],
        ['iadi', 0],
      ],
      400,
      0.01,
      8,
    ).flatMap((r) => observe(r, 0.01, rand));
    const fit = fitCosts(obs, params);
    expect(byName(fit, 'exit.macs').status).toBe('absent');
    expect(byName(fit, 'exit.units').status).toBe('absent');
    expect(byName(fit, 'classifier.macs').status).toBe('folded');
    expect(byName(fit, 'classifier.units').status).toBe('folded');
    // Predictions for these modes stay right even so.
    const check = runs([['iadi', 0]], 100, 0, 9)[0]!;
    for (const f of check) expect(Math.abs(predict(fit, f.values) - truth(f)) / truth(f)).toBeLessThan(0.03);
  });

  it('window-mode observations (mean energy per inference with mean features, weighted by count) recover the same costs', () => {
    const rand = rng(3);
    const obs: Observation[] = [];
    for (const run of runs(CALIBRATION, 2000, 0.02, 21)) {
      for (let i = 0; i < run.length; i += 100) {
        const win = run.slice(i, i + 100);
        const y = win.reduce((s, f) => s + truth(f) * (1 + 0.02 * gaussian(rand)), 0) / win.length;
        obs.push({ values: meanFeatures(win).values, y, weight: win.length });
      }
    }
    // Fewer, smoother observations: only the coarse per-MAC rates are asked of them.
    const fit = fitCosts(
      obs,
      perKindParameters(['stem', 'block', 'exit', 'classifier']).filter((p) => p.name !== 'block.units'),
    );
    const block = byName(fit, 'block.macs');
    expect(block.status).not.toBe('absent');
    const check = runs([['ddi', 0.5]], 300, 0, 22)[0]!;
    const mape = check.reduce((s, f) => s + Math.abs(predict(fit, f.values) - truth(f)) / truth(f), 0) / check.length;
    expect(mape).toBeLessThan(0.05);
  });

  it('two rates that always move together are pooled into one rate that predicts their sum', () => {
    const rand = rng(5);
    const obs: Observation[] = Array.from({ length: 200 }, () => {
      const b = 1e6 * (1 + rand());
      const c = 5e5 * rand();
      const values = { 'a.macs': 3 * b, 'b.macs': b, 'c.macs': c };
      return { values, y: 1e-4 + 2e-10 * 3 * b + 6e-10 * b + 1e-9 * c };
    });
    const fit = fitCosts(obs, [
      { name: 'a.macs', features: ['a.macs'], role: 'rate' },
      { name: 'b.macs', features: ['b.macs'], role: 'rate' },
      { name: 'c.macs', features: ['c.macs'], role: 'rate' },
    ]);
    expect(byName(fit, 'a.macs').status).toBe('pooled');
    expect(byName(fit, 'b.macs').status).toBe('pooled');
    expect(byName(fit, 'c.macs').status).toBe('fitted');
    // (3·2e-10 + 6e-10) / 4 = 3e-10 per pooled MAC.
    expect(byName(fit, 'a.macs').value).toBeCloseTo(3e-10, 15);
    expect(byName(fit, 'c.macs').value).toBeCloseTo(1e-9, 15);
    expect(fit.intercept).toBeCloseTo(1e-4, 12);
  });

  it('NNLS keeps every coefficient ≥ 0 where plain least squares would go negative', () => {
    // b = 2·x0 − 1·x1 exactly; the non-negative optimum drops x1.
    const A = [
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 1],
    ];
    const b = A.map((r) => 2 * r[0]! - r[1]!);
    const { x, atZero } = nnls(A, b);
    expect(x[1]).toBe(0);
    expect(atZero).toEqual([1]);
    expect(x[0]).toBeCloseTo((2 * 30 - 10) / 30, 10);
  });
});
