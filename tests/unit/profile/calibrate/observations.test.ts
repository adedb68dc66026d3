/**
 * Pooling of per-inference observations before the cost fit. An executor's cost per inference is
 * heavy-tailed (a kept-channel graph built on a cache miss, a collection pause): a few inferences
 * cost many times the others, at a steady rate, and the run's mean includes them. The fit's outlier
 * rule on single inferences drops exactly those and predicts a mean that is too low; on pools of
 * consecutive inferences the tail is averaged in and the fit predicts the mean.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../../../main/ddi/config';
import { readModelFile } from '../../../../main/ddi/io';
import { buildLayout } from '../../../../main/ddi/layout';
import { featuresOf, UnitCatalog, UNIT_KINDS, type Charge, type InferenceFeatures } from '../../../../main/profile/calibrate/features';
import { fitCosts, perKindParameters, predict, type Observation } from '../../../../main/profile/calibrate/fit';
import { FIT_POOL, mergeRunObservations, POOLED_FIT, poolObservations, type RunObservations } from '../../../../main/profile/calibrate/observations';
import { mulberry32 as rng } from '../../../../main/util/prng';

const cat = new UnitCatalog(buildLayout(readModelFile(resolve('data/models/mgl2s-50')).architecture as ModelConfig));

/** An inference of the gated ResNet: each block runs with probability pRun, its kept channels at random. */
function inference(rand: () => number, pRun: number, exits: number): InferenceFeatures {
  const lay = cat.layout;
  const out: Charge[] = [];
  for (const u of lay.trunk) {
    const full = cat.info(u.id).channels;
    if (!u.layerGated && u.groups === 0) {
      out.push({ id: u.id, kept: full });
      continue;
    }
    if (u.layerGated) {
      out.push({ id: `gate.layer${u.layer}`, kept: 0 });
      if (rand() > pRun) {
        if (u.projection) out.push({ id: `${u.id}.shortcut`, kept: 0 });
        continue;
      }
    }
    let kept = full;
    if (u.groups > 0) {
      out.push({ id: `gate.channel${u.layer}`, kept: 0 });
      kept = Math.max(4, Math.round(full * (0.4 + 0.6 * rand())));
    }
    out.push({ id: u.id, kept });
  }
  for (const e of lay.exits.slice(0, exits)) out.push({ id: e.id, kept: 0 });
  out.push({ id: 'classifier', kept: 0 });
  return featuresOf(cat, out);
}

// The board: a fixed cost per inference, per executed block and gate, per MAC; plus, on 4 % of
// inferences, a miss costing 12× a typical inference.
const typical = (f: InferenceFeatures) =>
  2e-5 + 5e-6 * (f.values['block.units']! + f.values['exit.units']!) + 2e-6 * f.gates + 3e-12 * f.macs + 4e-12 * f.values['exit.macs']!;
const MISS = 12 * 6e-5;
const energyOf = (f: InferenceFeatures, rand: () => number) => typical(f) * (1 + 0.1 * (rand() - 0.5)) + (rand() < 0.04 ? MISS : 0);

/** Runs of 2000 inferences whose executed units differ (as a calibration's modes and budgets do). */
function run(seed: number, pRun: number, exits: number): { features: InferenceFeatures[]; obs: Observation[] } {
  const rand = rng(seed);
  const features = Array.from({ length: 2000 }, () => inference(rand, pRun, exits));
  return { features, obs: features.map((f) => ({ values: f.values, y: energyOf(f, rand) })) };
}

describe('pooled observations for the cost fit', () => {
  it('a pool is one observation of the same linear model: weighted mean features and y, summed weight', () => {
    const obs: Observation[] = [
      { values: { a: 1, b: 4 }, y: 10 },
      { values: { a: 3 }, y: 20, weight: 3 },
      { values: { a: 5, b: 2 }, y: 30 },
    ];
    const pools = poolObservations(obs, 2);
    expect(pools).toHaveLength(2);
    expect(pools[0]!.weight).toBe(4);
    expect(pools[0]!.values['a']).toBeCloseTo((1 + 3 * 3) / 4, 12);
    expect(pools[0]!.values['b']).toBeCloseTo(4 / 4, 12);
    expect(pools[0]!.y).toBeCloseTo((10 + 60) / 4, 12);
    expect(pools[1]).toEqual({ values: { a: 5, b: 2 }, y: 30, weight: 1 });
  });

  it('heavy-tailed costs: the fit on pools predicts a held-out run’s mean energy within 3 %; on single inferences it is far too low', () => {
    const specs = perKindParameters(UNIT_KINDS);
    const train = [run(1, 0.9, 0), run(2, 0.5, 1), run(3, 0.7, 2), run(4, 0.3, 3)];
    const held = run(5, 0.6, 2).features;
    // The board's expected mean for the held-out inferences (the misses at their rate), not a sample of it.
    const expected = held.reduce((s, f) => s + typical(f), 0) / held.length + 0.04 * MISS;
    const meanPredicted = (fit: ReturnType<typeof fitCosts>) => held.reduce((s, f) => s + predict(fit, f.values), 0) / held.length;

    const pooled = fitCosts(
      train.flatMap((r) => poolObservations(r.obs, FIT_POOL)),
      specs,
    );
    expect(Math.abs(meanPredicted(pooled) / expected - 1)).toBeLessThan(0.03);

    // Single inferences: the outlier rule drops the misses, and the table misses their energy.
    const single = fitCosts(
      train.flatMap((r) => r.obs),
      specs,
    );
    expect(single.residuals.excluded).toBeGreaterThan(0);
    expect(meanPredicted(single) / expected - 1).toBeLessThan(-0.15);
  });
});

describe('calibration’s fit of pooled observations', () => {
  // The tail in bursts, as on the outside-style emulator: every 200 inferences, 4 in a row cost 40×
  // a typical inference (graph builds while the cache fills, the thread descheduled for a stretch).
  // Such a burst lands in one or two pools and makes them stand far out.
  const BURST = 40 * 6e-5;
  const burstRun = (seed: number, pRun: number, exits: number) => {
    const rand = rng(seed);
    const features = Array.from({ length: 2000 }, () => inference(rand, pRun, exits));
    const obs = features.map((f, k) => ({ values: f.values, y: typical(f) * (1 + 0.1 * (rand() - 0.5)) + (k % 200 < 4 ? BURST : 0) }));
    return { features, obs };
  };

  it('keeps every pool, so bursts of the tail stay in the table; the outlier rule would drop them', () => {
    const specs = perKindParameters(UNIT_KINDS);
    const train = [burstRun(11, 0.9, 0), burstRun(12, 0.5, 1), burstRun(13, 0.7, 2), burstRun(14, 0.3, 3)];
    const held = burstRun(15, 0.6, 2).features;
    const expected = held.reduce((s, f) => s + typical(f), 0) / held.length + (4 / 200) * BURST;
    const meanPredicted = (fit: ReturnType<typeof fitCosts>) => held.reduce((s, f) => s + predict(fit, f.values), 0) / held.length;
    const pools = train.flatMap((r) => poolObservations(r.obs, FIT_POOL));

    const calibration = fitCosts(pools, specs, POOLED_FIT);
    expect(calibration.residuals.excluded).toBe(0);
    expect(Math.abs(meanPredicted(calibration) / expected - 1)).toBeLessThan(0.03);

    const withRule = fitCosts(pools, specs);
    expect(withRule.residuals.excluded).toBeGreaterThan(0);
    expect(meanPredicted(withRule) / expected - 1).toBeLessThan(-0.2);
  });
});

describe('a run measured in segments', () => {
  /** A session's observations: inferences 0…n−1, energy groups of two, and its baseline. */
  const part = (sessionId: number, n: number, baselineW: number | null, energyJ: number, attribution = 'per-inference'): RunObservations => {
    const features = inference(rng(sessionId), 1, 0);
    return {
      sessionId,
      attribution,
      baselineW,
      inferences: Array.from({ length: n }, (_, seq) => ({ seq, charges: [], features, durationS: 1e-3, measuredEnergyJ: energyJ })),
      unexplained: sessionId,
      energyGroups: Array.from({ length: n / 2 }, (_, g) => ({ seqs: [2 * g, 2 * g + 1], measuredJ: energyJ })),
      latency: [{ values: features.values, y: 1e-3 }],
      energy: [{ values: features.values, y: energyJ, durationS: 1e-3 }],
    };
  };

  it('is one run: inference numbers stay unique and groups keep their inferences, baselines are averaged', () => {
    const merged = mergeRunObservations([part(4, 4, 1.0, 2e-3), part(8, 2, null, 3e-3), part(12, 4, 2.0, 4e-3)]);
    expect(merged.sessionId).toBe(4);
    expect(merged.inferences.map((i) => i.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(merged.inferences.map((i) => i.measuredEnergyJ)).toEqual([2e-3, 2e-3, 2e-3, 2e-3, 3e-3, 3e-3, 4e-3, 4e-3, 4e-3, 4e-3]);
    // Every group still names inferences of its own session.
    const bySeq = new Map(merged.inferences.map((i) => [i.seq, i.measuredEnergyJ]));
    for (const g of merged.energyGroups) for (const q of g.seqs) expect(bySeq.get(q)).toBe(g.measuredJ);
    expect(merged.energyGroups.map((g) => g.seqs)).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
      [6, 7],
      [8, 9],
    ]);
    expect(merged.baselineW).toBe(1.5);
    expect(merged.unexplained).toBe(24);
    expect(merged.energy).toHaveLength(3);
    expect(merged.latency).toHaveLength(3);
    expect(merged.energySetAside).toEqual([]);
  });

  it('takes energy from its per-inference sessions only, and durations from all', () => {
    const merged = mergeRunObservations([part(4, 4, 1.0, 2e-3), part(8, 2, 1.0, 9e-3, 'window'), part(12, 4, 1.0, 4e-3)]);
    expect(merged.energySetAside).toEqual([8]);
    expect(merged.attribution).toBe('per-inference');
    expect(merged.energyGroups.map((g) => g.measuredJ)).toEqual([2e-3, 2e-3, 4e-3, 4e-3]);
    expect(merged.energy.map((o) => o.y)).toEqual([2e-3, 4e-3]);
    expect(merged.inferences).toHaveLength(10);
    expect(merged.latency).toHaveLength(3);
    // Only window-mode sessions: their energy is all there is, and it is used.
    const windows = mergeRunObservations([part(4, 4, 1.0, 2e-3, 'window'), part(8, 2, 1.0, 3e-3, 'window')]);
    expect(windows.energySetAside).toEqual([]);
    expect(windows.energy).toHaveLength(2);
  });
});
