/**
 * Features rebuilt from engine records: for real records of the real engine (ResNet and DenseNet,
 * every mode, budgets that halt at different depths) the rebuilt charges must give back the
 * record's exact MACs and, through the analytic energy table the engine used, its predicted energy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DdiEngine } from '../../../../main/ddi/engine';
import { buildModel } from '../../../../main/ddi/model';
import { ENERGY_PRESETS, energyTable } from '../../../../main/ddi/cost';
import type { ModelConfig } from '../../../../main/ddi/config';
import type { InferenceMode } from '../../../../main/ddi/types';
import { chargesOf, featuresOf, predictCost, UnitCatalog, UNIT_KINDS } from '../../../../main/profile/calibrate/features';
import { randomImages, tinyDensenet, tinyResnet } from '../../ddi/fixtures';

let engine: DdiEngine;
beforeAll(async () => {
  engine = await DdiEngine.create({ backend: 'cpu' });
});
afterAll(() => engine.dispose());

function check(cfg: ModelConfig) {
  engine.useModel(buildModel(cfg, 3));
  const cat = new UnitCatalog(engine.model.layout);
  const energy = energyTable(engine.model.layout, ENERGY_PRESETS['horowitz-45nm']!);
  const n = 24;
  const images = randomImages(n, cfg.input.height, cfg.input.width, cfg.input.channels, 11);
  const info = engine.info();
  const full = info.backboneMacs + info.gateMacs + info.exitMacs;
  const runs: { mode: InferenceMode; budget?: number }[] = [{ mode: 'static' }, { mode: 'iadi' }];
  for (const mode of ['radi', 'ddi'] as const) {
    const min = engine.minimumBudget('macs', mode);
    for (const f of [0, 0.3, 0.6, 1]) runs.push({ mode, budget: min + f * (full - min) });
  }
  let halted = 0;
  let heads = 0;
  for (const r of runs) {
    const recs = engine.infer(images, n, { mode: r.mode, budget: r.budget ? { kind: 'macs', value: r.budget } : null });
    for (const rec of recs) {
      const charges = chargesOf(cat, rec);
      expect(charges, `${r.mode} ${r.budget}`).not.toBeNull();
      const f = featuresOf(cat, charges!);
      expect(f.macs).toBe(rec.macs);
      expect(UNIT_KINDS.reduce((s, k) => s + f.values[`${k}.macs`]!, 0)).toBe(rec.macs);
      expect(predictCost(energy, charges!)).toBeCloseTo(rec.predictedEnergyJ!, 15);
      if (rec.halted) halted++;
      heads += f.values['exit.units']!;
    }
  }
  // The budgets really exercised halting and exit heads.
  expect(halted).toBeGreaterThan(0);
  expect(heads).toBeGreaterThan(0);
}

describe('features from engine records', () => {
  it('ResNet (layer + channel gates, exits): charges reproduce every record’s MACs and predicted energy', () => check(tinyResnet()));
  it('DenseNet (channel gates, transitions): the same', () => check(tinyDensenet()));
  it('a record whose MACs nothing explains is refused (null), not guessed', () => {
    engine.useModel(buildModel(tinyResnet(), 3));
    const cat = new UnitCatalog(engine.model.layout);
    const [rec] = engine.infer(randomImages(1, 8, 8, 1), 1, { mode: 'iadi' });
    expect(chargesOf(cat, { ...rec!, macs: rec!.macs + 7 })).toBeNull();
  });
});
