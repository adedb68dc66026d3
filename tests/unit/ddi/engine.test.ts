import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { initBackend } from '../../../main/ddi/backend';
import { buildModel, type GatePattern } from '../../../main/ddi/model';
import { DdiEngine } from '../../../main/ddi/engine';
import { isUserError } from '../../../main/util/errors';
import type { ModelConfig } from '../../../main/ddi/config';
import { buildLayout } from '../../../main/ddi/layout';
import { mulberry32 } from '../../../main/ddi/params';
import { randomImages, tinyDensenet, tinyResnet } from './fixtures';

const BACKEND = (process.env.DDI_TEST_BACKEND as 'cpu' | 'wasm' | undefined) ?? 'wasm';

let engine: DdiEngine;
beforeAll(async () => {
  engine = await DdiEngine.create({ backend: BACKEND });
});
afterAll(() => engine.dispose());

function randomPatterns(cfg: ModelConfig, n: number, seed: number, pOn = 0.6): GatePattern[] {
  const lay = buildLayout(cfg);
  const rand = mulberry32(seed);
  return Array.from({ length: n }, () => ({
    layer: lay.trunk.filter((u) => u.layer >= 0).map(() => rand() < pOn),
    channel: lay.trunk.filter((u) => u.layer >= 0).map((u) => Array.from({ length: u.groups }, () => rand() < 0.5)),
  }));
}

/** Masked reference: forwardTrain in eval mode with the same forced decisions. */
function masked(cfg: ModelConfig, seed: number, images: Float32Array, n: number, forced?: GatePattern[]) {
  const m = buildModel(cfg, seed);
  const { height, width, channels } = cfg.input;
  const out = tf.tidy(() => {
    const r = m.forwardTrain(tf.tensor4d(images, [n, height, width, channels]), { training: false, forced, gates: forced ? 'learned' : 'all-on' });
    return { logits: r.logits.arraySync(), exits: r.exitLogits.map((e) => e.arraySync()), cost: Array.from(r.cost.dataSync()) };
  });
  m.dispose();
  return out;
}

function maxAbsDiff(a: number[], b: number[]): number {
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
}

function realSkipSuite(backend: string): void {
  describe(`real skipping equals the masked training path (${backend})`, () => {
    for (const [label, mk] of [
      ['ResNet', tinyResnet],
      ['DenseNet', tinyDensenet],
    ] as const) {
      // pOn 0.6 mostly exercises gather/scatter on row subsets, 0.9 (7 of 8 rows) the full batch with a row blend.
      for (const [batch, pOn] of [
        [1, 0.6],
        [3, 0.6],
        [8, 0.6],
        [8, 0.9],
      ] as const) {
        it(`${label}, batch ${batch}, random gate patterns (p_on ${pOn}): logits within 1e-5 and MACs equal the training cost`, () => {
          const cfg = mk();
          const n = 8;
          const images = randomImages(n, 8, 8, 1, 3);
          const forced = randomPatterns(cfg, n, 17 + batch, pOn);
          const ref = masked(cfg, 21, images, n, forced);
          engine.useModel(buildModel(cfg, 21));
          const recs = engine.infer(images, n, { mode: 'iadi', forced, batchSize: batch });
          recs.forEach((r, i) => {
            expect(maxAbsDiff(r.logits, ref.logits[i]!)).toBeLessThanOrEqual(1e-5);
            // Training cost counts exit heads too (all computed in training); inference in iadi mode runs none.
            const exitMacs = engine.info().exitMacs;
            expect(r.macs).toBeCloseTo(ref.cost[i]! - exitMacs, 0);
          });
          // The patterns really skipped something; for ResNet also a downsampling block (its shortcut runs).
          expect(recs.some((r) => r.blocksSkipped.length > 0)).toBe(true);
          if (label === 'ResNet')
            expect(recs.some((r) => r.blocksSkipped.some((l) => buildLayout(cfg).trunk.find((u) => u.layer === l)!.projection))).toBe(true);
        });
      }
    }
    it('early-exit answers equal the masked exit logits', () => {
      const cfg = tinyResnet();
      const n = 12;
      const images = randomImages(n, 8, 8, 1, 5);
      const forced = randomPatterns(cfg, n, 3);
      const ref = masked(cfg, 4, images, n, forced);
      engine.useModel(buildModel(cfg, 4));
      const min = engine.minimumBudget('macs', 'ddi');
      const exitsSeen = new Set<string>();
      for (const f of [1, 1.2, 1.5, 2]) {
        const recs = engine.infer(images, n, { mode: 'ddi', forced, budget: { kind: 'macs', value: min * f } });
        for (const [i, r] of recs.entries()) {
          exitsSeen.add(r.exitId);
          const want = r.exit === null ? ref.logits[i]! : ref.exits[r.exit]![i]!;
          expect(maxAbsDiff(r.logits, want)).toBeLessThanOrEqual(1e-5);
          expect(r.halted).toBe(r.exit !== null);
        }
      }
      expect(exitsSeen.has('exit0')).toBe(true);
      expect(exitsSeen.size).toBeGreaterThan(1);
    });
  });
}

realSkipSuite(BACKEND);

describe('modes', () => {
  it('static and ddi with all gates forced on and an infinite budget give identical outputs', () => {
    for (const cfg of [tinyResnet(), tinyDensenet()]) {
      engine.useModel(buildModel(cfg, 8));
      const images = randomImages(5, 8, 8, 1, 9);
      const allOn: GatePattern[] = Array.from({ length: 5 }, () => ({ layer: [], channel: [] }));
      const s = engine.infer(images, 5, { mode: 'static' });
      const d = engine.infer(images, 5, { mode: 'ddi', forced: allOn, budget: { kind: 'macs', value: Number.POSITIVE_INFINITY } });
      const ref = masked(cfg, 8, images, 5);
      s.forEach((r, i) => {
        expect(d[i]!.logits).toEqual(r.logits);
        expect(d[i]!.exitId).toBe('classifier');
        expect(maxAbsDiff(r.logits, ref.logits[i]!)).toBeLessThanOrEqual(1e-5);
        expect(r.macs).toBe(r.staticMacs);
      });
    }
  });
  it('rejects a budget below the first exit with the minimum in the message', () => {
    engine.useModel(buildModel(tinyResnet(), 2));
    const min = engine.minimumBudget('macs', 'ddi');
    let err: unknown;
    try {
      engine.infer(randomImages(1, 8, 8, 1), 1, { mode: 'ddi', budget: { kind: 'macs', value: min - 1, text: `${min - 1}MAC` } });
    } catch (e) {
      err = e;
    }
    expect(isUserError(err)).toBe(true);
    expect((err as Error).message).toContain(`${(min / 1e3).toFixed(2)} kMAC`);
    expect(() => engine.infer(randomImages(1, 8, 8, 1), 1, { mode: 'radi' })).toThrow(/needs a budget/);
  });
  it('records carry mode, exit, blocks, channels, MACs, predictions and monotonic timestamps', () => {
    engine.useModel(buildModel(tinyResnet(), 2));
    const [r] = engine.infer(randomImages(1, 8, 8, 1), 1, { mode: 'ddi', budget: { kind: 'macs', value: 1e9 } });
    expect(r!.mode).toBe('ddi');
    expect(r!.blocksExecuted.length + r!.blocksSkipped.length + r!.blocksNotReached.length).toBe(6);
    expect(r!.channelsKept.every((c) => c.total === 4 || c.total === 8)).toBe(true);
    expect(r!.endNs).toBeGreaterThan(r!.startNs);
    expect(r!.predictedEnergyJ).toBeGreaterThan(0);
    expect(r!.energyTable).toBe('energy:horowitz-45nm');
    expect(r!.budgetSpent).toBe(r!.macs);
  });
});

describe('hard budgets', () => {
  it('never exceed the budget (property test over models, gates, budgets, batch sizes)', () => {
    const models = [
      tinyResnet(),
      tinyDensenet(),
      tinyResnet({ gates: { layer: true, channel: false, groupSize: 2, initBias: 0, channelHidden: 4, layerHidden: 3 } }),
    ];
    const built = models.map((cfg) => {
      engine.useModel(buildModel(cfg, 31));
      return cfg;
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: built.length - 1 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.double({ min: 0, max: 1.3, noNaN: true }),
        fc.constantFrom<'radi' | 'ddi'>('radi', 'ddi'),
        fc.constantFrom<'macs' | 'energy'>('macs', 'energy'),
        fc.integer({ min: 1, max: 4 }),
        (mi, seed, frac, mode, kind, batch) => {
          const cfg = built[mi]!;
          engine.useModel(buildModel(cfg, seed));
          const min = engine.minimumBudget(kind, mode);
          const full = engine.info().backboneMacs; // scale only
          const value = kind === 'macs' ? min + frac * (full + engine.info().exitMacs + engine.info().gateMacs - min) : min * (1 + 3 * frac);
          const recs = engine.infer(randomImages(4, 8, 8, 1, seed), 4, { mode, budget: { kind, value }, batchSize: batch });
          for (const r of recs) {
            expect(r.budgetSpent!).toBeLessThanOrEqual(value);
            if (kind === 'macs') expect(r.macs).toBeLessThanOrEqual(value);
          }
        },
      ),
      { numRuns: 60, seed: 42 },
    );
  });
  it('radi never computes a block it cannot use: a row halts as soon as the next exit cannot fit', () => {
    const cfg = tinyResnet();
    engine.useModel(buildModel(cfg, 5));
    const lay = buildLayout(cfg);
    const min = engine.minimumBudget('macs', 'radi');
    const top = engine.info().backboneMacs + engine.info().exitMacs;
    let exitAnswers = 0;
    // An even sweep of budgets from the minimum to the full network covers every gap between exits.
    for (let k = 0; k <= 120; k++) {
      const value = min + (k / 120) * (top - min);
      for (const r of engine.infer(randomImages(2, 8, 8, 1, 4), 2, { mode: 'radi', budget: { kind: 'macs', value } })) {
        expect(r.macs).toBeLessThanOrEqual(value);
        if (r.exit === null) continue;
        exitAnswers++;
        // Every executed block lies at or before the answering exit: nothing was computed in vain.
        expect(Math.max(...r.blocksExecuted), `budget ${value}`).toBeLessThanOrEqual(lay.exits[r.exit]!.afterLayer);
      }
    }
    expect(exitAnswers).toBeGreaterThan(0);
  });
});

describe('memory', () => {
  it('keeps tf.memory().numTensors stable across 1000 inferences', () => {
    engine.useModel(buildModel(tinyResnet(), 6));
    const img = randomImages(1, 8, 8, 1, 1);
    engine.infer(img, 1, { mode: 'ddi', budget: { kind: 'macs', value: 1e9 } });
    engine.clearCaches();
    const before = tf.memory().numTensors;
    const min = engine.minimumBudget('macs', 'ddi');
    const modes = ['static', 'iadi', 'radi', 'ddi'] as const;
    for (let i = 0; i < 1000; i++) {
      const mode = modes[i % 4]!;
      engine.infer(randomImages(i % 3 === 0 ? 3 : 1, 8, 8, 1, i), i % 3 === 0 ? 3 : 1, {
        mode,
        budget: mode === 'radi' || mode === 'ddi' ? { kind: 'macs', value: min * (1 + (i % 7) * 0.3) } : null,
        batchSize: 3,
      });
    }
    // Cached gathered kernels are bounded; clearing them returns to the baseline exactly.
    engine.clearCaches();
    expect(tf.memory().numTensors).toBe(before);
  });
});

// Same equivalence on the other pure-JS backend; runs last because it switches the global backend.
describe('other backend', () => {
  const other = BACKEND === 'wasm' ? 'cpu' : 'wasm';
  beforeAll(async () => {
    engine.dispose();
    engine = await DdiEngine.create({ backend: other, strict: true });
  });
  it(`runs on ${other}`, () => {
    expect(engine.backendInfo().name).toBe(other);
  });
});
realSkipSuite(BACKEND === 'wasm' ? 'cpu' : 'wasm');
