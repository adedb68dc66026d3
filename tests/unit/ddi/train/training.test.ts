import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resnetConfig, type ModelConfig } from '../../../../main/ddi/config';
import { buildModel, type ForwardTrainResult } from '../../../../main/ddi/model';
import type { ImageDataset } from '../../../../main/ddi/data/dataset';
import { costSign, crossEntropy, ddiLoss } from '../../../../main/ddi/train/loss';
import { SgdMomentum } from '../../../../main/ddi/train/optimizer';
import { buildRecipe, changeClipNorm, checkResumableRecipe } from '../../../../main/ddi/train/recipe';
import { modelCard } from '../../../../main/ddi/train/card';
import { prepareTraining } from '../../../../main/ddi/train/setup';
import { trainStep } from '../../../../main/ddi/train/step';
import { CHECKPOINT_FILE, saveRun, train } from '../../../../main/ddi/train/trainer';
import { firstNonFinite } from '../../../../main/ddi/train/finite';
import { readCheckpoint } from '../../../../main/ddi/train/checkpoint';
import { Rng } from '../../../../main/ddi/train/rng';

/** A toy 8×8 data set: class = which quadrant holds the bright blob (learnable in a few steps). */
function toyDataset(n: number, seed: number): ImageDataset {
  const rng = new Rng(seed);
  const images = new Uint8Array(n * 64);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 4;
    labels[i] = c;
    const oy = c < 2 ? 0 : 4;
    const ox = c % 2 === 0 ? 0 : 4;
    for (let p = 0; p < 64; p++) images[i * 64 + p] = rng.int(40);
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) images[i * 64 + (oy + y) * 8 + ox + x] = 200 + rng.int(55);
  }
  return { name: 'toy', n, height: 8, width: 8, channels: 1, numClasses: 4, classNames: ['a', 'b', 'c', 'd'], images, labels };
}

const tinyConfig = (gated: boolean): ModelConfig =>
  resnetConfig({
    blocksPerStage: [2, 2, 2],
    widths: [4, 8, 8],
    input: { height: 8, width: 8, channels: 1 },
    numClasses: 4,
    gates: gated ? { layer: true, channel: true, groupSize: 2, channelHidden: 4, initBias: 1 } : { layer: false, channel: false },
    exits: { afterUnit: [1], headWidth: 4 },
    name: 'tiny',
  });

const norm = { mean: [0.2], std: [0.3] };
const quiet = { update() {}, line() {} } as never;

beforeAll(async () => {
  prepareTraining();
  await tf.setBackend('wasm');
});

describe('training', () => {
  it('one step lowers the loss of a tiny batch, more steps lower it further, no tensors leak', () => {
    const ds = toyDataset(16, 1);
    const model = buildModel(tinyConfig(false), 3);
    const opt = new SgdMomentum({ momentum: 0.9, weightDecay: 5e-4 });
    const x = tf.tensor4d(
      Float32Array.from(ds.images, (v) => (v / 255 - 0.2) / 0.3),
      [16, 8, 8, 1],
    );
    const labels = Int32Array.from(ds.labels);
    const lossOf = () =>
      tf.tidy(
        () => crossEntropy(model.forwardTrain(x, { training: true, updateStats: false, gates: 'all-on' }).logits, tf.tensor1d(labels, 'int32')).dataSync()[0]!,
      );
    const before = lossOf();
    const o = { groups: ['backbone', 'exits'] as ('backbone' | 'exits')[], lr: 0.05, gates: 'all-on' as const, loss: { exitWeight: 1 } };
    trainStep(model, opt, x, labels, o); // one step (also creates the momentum buffers)
    const afterOne = lossOf();
    expect(afterOne).toBeLessThan(before);
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) trainStep(model, opt, x, labels, o);
    expect(tf.memory().numTensors).toBe(tensors);
    const after = lossOf();
    expect(after).toBeLessThan(before * 0.8);
    x.dispose();
    opt.dispose();
    model.dispose();
  });

  it('a step whose gradient is not finite is not applied and names the variable', () => {
    const ds = toyDataset(16, 1);
    const model = buildModel(tinyConfig(false), 3);
    const opt = new SgdMomentum({ momentum: 0.9, weightDecay: 5e-4 });
    const x = tf.tensor4d(
      Float32Array.from(ds.images, (v) => (v / 255 - 0.2) / 0.3),
      [16, 8, 8, 1],
    );
    const bias = model.variable('classifier/fc/bias');
    bias.assign(tf.fill(bias.shape, NaN));
    const trainable = () => new Map([...model.readValuesSync()].filter(([n]) => model.specs.find((p) => p.name === n)!.group !== 'stats'));
    const before = trainable();
    const r = trainStep(model, opt, x, Int32Array.from(ds.labels), { groups: ['backbone', 'exits'], lr: 0.05, gates: 'all-on', loss: { exitWeight: 1 } });
    expect(r.nonFiniteGradient).toMatch(/^(classifier|stem|block|exit)/);
    for (const [n, v] of trainable()) expect(Buffer.from(v.buffer).equals(Buffer.from(before.get(n)!.buffer)), n).toBe(true);
    // A healthy step reports nothing.
    bias.assign(tf.zeros(bias.shape));
    expect(
      trainStep(model, opt, x, Int32Array.from(ds.labels), { groups: ['backbone', 'exits'], lr: 0.05, gates: 'all-on', loss: { exitWeight: 1 } })
        .nonFiniteGradient,
    ).toBeUndefined();
    x.dispose();
    opt.dispose();
    model.dispose();
  });

  it('clipNorm caps the step: the first update has norm lr · clipNorm, and the norm before clipping is reported', () => {
    const ds = toyDataset(16, 1);
    const x = tf.tensor4d(
      Float32Array.from(ds.images, (v) => (v / 255 - 0.2) / 0.3),
      [16, 8, 8, 1],
    );
    const labels = Int32Array.from(ds.labels);
    const stepDelta = (clipNorm?: number) => {
      const model = buildModel(tinyConfig(false), 3);
      const opt = new SgdMomentum({ momentum: 0.9, weightDecay: 0 });
      const before = model.readValuesSync();
      const r = trainStep(model, opt, x, labels, { groups: ['backbone', 'exits'], lr: 0.1, gates: 'all-on', loss: { exitWeight: 1 }, clipNorm });
      let sq = 0;
      for (const [n, v] of model.readValuesSync()) {
        if (model.specs.find((p) => p.name === n)!.group === 'stats') continue;
        const b = before.get(n)!;
        for (let i = 0; i < v.length; i++) sq += (v[i]! - b[i]!) ** 2;
      }
      opt.dispose();
      model.dispose();
      return { delta: Math.sqrt(sq), gradNorm: r.gradNorm };
    };
    const free = stepDelta();
    expect(free.delta).toBeCloseTo(0.1 * free.gradNorm, 4);
    const clipped = stepDelta(free.gradNorm / 10);
    expect(clipped.gradNorm).toBeCloseTo(free.gradNorm, 4);
    expect(clipped.delta).toBeCloseTo((0.1 * free.gradNorm) / 10, 4);
    expect(() => buildRecipe({ clipNorm: 0 })).toThrow(/not positive/);
    x.dispose();
  });

  it('the sign-switching cost term moves the achieved cost toward the target', () => {
    const ds = toyDataset(32, 2);
    const x = tf.tensor4d(
      Float32Array.from(ds.images, (v) => (v / 255 - 0.2) / 0.3),
      [32, 8, 8, 1],
    );
    const labels = Int32Array.from(ds.labels);
    const run = (target: number) => {
      const model = buildModel(tinyConfig(true), 5);
      const opt = new SgdMomentum({ momentum: 0.9, weightDecay: 0 });
      const costs: number[] = [];
      for (let i = 0; i < 12; i++) {
        const r = trainStep(model, opt, x, labels, { groups: ['gates'], lr: 0.5, gates: 'learned', loss: { exitWeight: 1, cost: { target, beta: 5 } } });
        costs.push(r.costFraction);
      }
      opt.dispose();
      model.dispose();
      return costs;
    };
    const down = run(0.4);
    // Gates start all on (init bias 1), so the first batch runs at full cost, far above 40 %.
    expect(down[0]).toBeGreaterThan(0.95);
    expect(Math.min(...down.slice(-4))).toBeLessThan(0.8);
    expect(Math.abs(down.at(-1)! - 0.4)).toBeLessThan(Math.abs(down[0]! - 0.4));
    // At a 100 % target the term rewards computing, so nothing gets switched off.
    const full = run(1);
    expect(Math.min(...full)).toBeGreaterThan(0.95);
    x.dispose();
  });

  it('confident "on" gates still follow the cost term with the logit STE, not with the sigmoid STE', () => {
    const ds = toyDataset(32, 2);
    const x = tf.tensor4d(
      Float32Array.from(ds.images, (v) => (v / 255 - 0.2) / 0.3),
      [32, 8, 8, 1],
    );
    const labels = Int32Array.from(ds.labels);
    const run = (gateGradient: 'logit' | 'sigmoid') => {
      const model = buildModel(tinyConfig(true), 5);
      // What a gate stage at a 100 % target under the reference rule leaves behind: every gate
      // output logit at +8 (σ' ≈ 3e-4).
      for (const s of model.specs) {
        if (/^gate\/(layer\/out|channel\d+\/fc2)\/bias$/.test(s.name)) model.variable(s.name).assign(tf.fill(s.shape, 8));
      }
      const opt = new SgdMomentum({ momentum: 0.9, weightDecay: 0 });
      const costs: number[] = [];
      for (let i = 0; i < 20; i++) {
        const r = trainStep(model, opt, x, labels, {
          groups: ['gates'],
          lr: 0.5,
          gates: 'learned',
          gateGradient,
          loss: { exitWeight: 1, cost: { target: 0.4, beta: 5 } },
        });
        costs.push(r.costFraction);
      }
      opt.dispose();
      model.dispose();
      return costs;
    };
    const stuck = run('sigmoid');
    expect(Math.min(...stuck)).toBeGreaterThan(0.99);
    const moving = run('logit');
    expect(moving[0]).toBeGreaterThan(0.99);
    expect(Math.min(...moving.slice(-5))).toBeLessThan(0.8);
    x.dispose();
  });

  it('a reward that keeps coming grows the gates without bound under the logit STE, not under the bounded one', () => {
    const ds = toyDataset(32, 2);
    const x = tf.tensor4d(
      Float32Array.from(ds.images, (v) => (v / 255 - 0.2) / 0.3),
      [32, 8, 8, 1],
    );
    const labels = Int32Array.from(ds.labels);
    // The reference rule at a 100 % target rewards compute on every batch: the push the DenseNet's
    // gate stage kept getting (docs/lab/models-log.md, "The DenseNet's joint stage went NaN").
    const maxGateWeight = (gateGradient: 'logit' | 'logit-bounded') => {
      const model = buildModel(tinyConfig(true), 5);
      const opt = new SgdMomentum({ momentum: 0.9, weightDecay: 0 });
      for (let i = 0; i < 100; i++) {
        trainStep(model, opt, x, labels, {
          groups: ['gates'],
          lr: 0.05,
          gates: 'learned',
          gateGradient,
          loss: { exitWeight: 1, cost: { target: 1, beta: 5, rewardAtFullTarget: true } },
        });
      }
      let max = 0;
      for (const p of model.specs) if (p.group === 'gates') for (const v of model.variable(p.name).dataSync()) max = Math.max(max, Math.abs(v));
      opt.dispose();
      model.dispose();
      return max;
    };
    // Measured 2026-11-26: ~1e10 (exponential: the logit is bilinear in the gate's two layers) vs ~7.
    expect(maxGateWeight('logit')).toBeGreaterThan(1e6);
    expect(maxGateWeight('logit-bounded')).toBeLessThan(20);
    x.dispose();
  });

  it('without the reward at a full target, a batch running everything gets no cost term', () => {
    expect(costSign(1, 1, true)).toBe(-1);
    expect(costSign(1, 1, false)).toBe(0);
    expect(costSign(0.99999994, 1, false)).toBe(0); // float32 rounding of a full run
    // Below a full target the reward still pulls switched-off gates back on; other targets are unchanged.
    expect(costSign(0.9, 1, false)).toBe(-1);
    expect(costSign(0.6, 0.5, false)).toBe(1);
    expect(costSign(0.5, 0.5, false)).toBe(-1);
    const recipe = buildRecipe({ stages: ['gates', 'joint'], target: 0.5 });
    expect(recipe.gateGradient).toBe('logit-bounded');
    expect(recipe.rewardAtFullTarget).toBe(false);
  });

  it("the exit weight scales the exits' share of the loss; the recipe carries it and rejects a negative one", () => {
    const logits = tf.tensor2d([
      [2, 0, 0, 0],
      [0, 1, 0, 0],
    ]);
    const exitLogits = [
      tf.tensor2d([
        [0, 0, 3, 0],
        [0, 0, 0, 1],
      ]),
      tf.tensor2d([
        [1, 1, 0, 0],
        [0, 2, 0, 0],
      ]),
    ];
    const labels = tf.tensor1d([0, 1], 'int32');
    const out: ForwardTrainResult = { logits, exitLogits, gates: [], cost: tf.tensor1d([1, 1]), fullCost: 1 };
    const total = (w: number) => ddiLoss(out, labels, { exitWeight: w }).total.dataSync()[0]!;
    const ce = (l: tf.Tensor2D) => crossEntropy(l, labels).dataSync()[0]!;
    const exitSum = ce(exitLogits[0]!) + ce(exitLogits[1]!);
    expect(total(0)).toBeCloseTo(ce(logits), 5);
    expect(total(0.25)).toBeCloseTo(ce(logits) + 0.25 * exitSum, 5);
    expect(total(1)).toBeCloseTo(ce(logits) + exitSum, 5);
    expect(buildRecipe({ exitWeight: 0.25 }).exitWeight).toBe(0.25);
    expect(buildRecipe({}).exitWeight).toBe(1);
    expect(() => buildRecipe({ exitWeight: -1 })).toThrow(/negative/);
  });

  it('never overwrites a checkpoint with non-finite weights', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ddi-nan-'));
    const ds = toyDataset(32, 5);
    const recipe = buildRecipe({ stages: ['backbone'], backboneEpochs: 1, batchSize: 16, lr: 0.05 });
    const r = await train({ config: tinyConfig(false), recipe, train: ds, normalization: norm, progress: quiet, runDir: dir });
    const path = join(dir, CHECKPOINT_FILE);
    const good = readFileSync(path);
    const values = r.model.readValuesSync();
    expect(firstNonFinite(values)).toBeNull();
    r.model.variable('stem/conv/kernel').assign(tf.fill(r.model.variable('stem/conv/kernel').shape, NaN));
    expect(firstNonFinite(r.model.readValuesSync())).toBe('stem/conv/kernel');
    expect(() => saveRun(path, r.model, new SgdMomentum({ momentum: 0.9, weightDecay: 0 }), r.meta)).toThrow(
      /non-finite weights \(stem\/conv\/kernel\).*last checkpoint .* was kept/,
    );
    expect(readFileSync(path).equals(good)).toBe(true);
    r.model.dispose();
  });

  it('a resumed run may clip the stages that have not started, and only those', () => {
    const r = buildRecipe({ stages: ['backbone', 'gates', 'joint'], target: 0.5 });
    expect(changeClipNorm(structuredClone(r), { stage: 1, epoch: 0, step: 0 }, 2)).toEqual(['gates', 'joint']);
    expect(changeClipNorm(r, { stage: 1, epoch: 0, step: 1 }, 2)).toEqual(['joint']);
    expect(r.stages.map((s) => s.clipNorm)).toEqual([undefined, undefined, 2]);
    expect(() => changeClipNorm(r, { stage: 2, epoch: 0, step: 3 }, 1)).toThrow(/Every stage of this run has started/);
    expect(() => changeClipNorm(r, { stage: 0, epoch: 0, step: 0 }, -1)).toThrow(/not positive/);
    expect(r.stages[2]!.clipNorm).toBe(2);
    // Restricted to some stages, from the start and on resume.
    expect(buildRecipe({ stages: ['backbone', 'gates', 'joint'], clipNorm: 3, clipStages: ['joint'] }).stages.map((s) => s.clipNorm)).toEqual([
      undefined,
      undefined,
      3,
    ]);
    expect(changeClipNorm(buildRecipe({ stages: ['backbone', 'gates', 'joint'] }), { stage: 0, epoch: 2, step: 0 }, 2, ['joint'])).toEqual(['joint']);
    expect(() => buildRecipe({ stages: ['backbone'], clipNorm: 2, clipStages: ['joint'] })).toThrow(
      /Clipping is asked for stage joint, which this run does not have \(its stages: backbone\)/,
    );
    expect(() => changeClipNorm(r, { stage: 2, epoch: 0, step: 1 }, 2, ['gates'])).toThrow(/among gates has started/);
  });

  it('clipping added on resume at the start of the joint stage gives the run that was clipped there from the start', async () => {
    const ds = toyDataset(64, 5);
    const recipe = () =>
      buildRecipe({ stages: ['backbone', 'gates', 'joint'], backboneEpochs: 1, gateEpochs: 1, jointEpochs: 1, batchSize: 16, target: 0.6, lr: 0.05 });
    const base = { config: tinyConfig(true), train: ds, normalization: norm, progress: quiet };
    const clippedRecipe = recipe();
    clippedRecipe.stages[2]!.clipNorm = 1e-3;
    const clipped = await train({ ...base, recipe: clippedRecipe, runDir: mkdtempSync(join(tmpdir(), 'ddi-clip-a-')) });
    const free = await train({ ...base, recipe: recipe(), runDir: mkdtempSync(join(tmpdir(), 'ddi-clip-b-')) });

    const dir = mkdtempSync(join(tmpdir(), 'ddi-clip-c-'));
    const first = await train({ ...base, recipe: recipe(), runDir: dir, maxSteps: 8 }); // backbone 4 + gates 4 steps
    expect(first.meta.position).toEqual({ stage: 2, epoch: 0, step: 0 });
    first.model.dispose();
    const resumed = await train({ ...base, recipe: recipe(), runDir: dir, resume: true, clipNormOnResume: { norm: 1e-3 } });

    const a = clipped.model.readValuesSync();
    const b = resumed.model.readValuesSync();
    const c = free.model.readValuesSync();
    for (const [name, v] of a) expect(Array.from(b.get(name)!), name).toEqual(Array.from(v));
    expect(Array.from(c.get('stem/conv/kernel')!)).not.toEqual(Array.from(a.get('stem/conv/kernel')!));
    expect(resumed.meta.recipe.stages.map((s) => s.clipNorm)).toEqual([undefined, undefined, 1e-3]);
    expect(modelCard({ name: 'toy', meta: resumed.meta, evals: [] })).toContain(
      "Gradient clipping (global L2 norm of every step's gradients): joint stage ≤ 0.001; other stages unclipped",
    );
    for (const m of [clipped, free, resumed]) m.model.dispose();
  });

  it('refuses to resume a checkpoint that does not record its gate training, naming --init instead', async () => {
    const ds = toyDataset(32, 5);
    const dir = mkdtempSync(join(tmpdir(), 'ddi-old-'));
    const recipe = buildRecipe({ stages: ['backbone', 'gates'], backboneEpochs: 1, gateEpochs: 1, batchSize: 16 });
    const first = await train({ config: tinyConfig(true), recipe, train: ds, normalization: norm, progress: quiet, runDir: dir, maxSteps: 1 });
    const path = join(dir, CHECKPOINT_FILE);
    // A checkpoint as written before the recipe recorded gateGradient and rewardAtFullTarget.
    const { gateGradient: _g, rewardAtFullTarget: _r, ...older } = first.meta.recipe;
    saveRun(path, first.model, new SgdMomentum({ momentum: 0.9, weightDecay: 0 }), { ...first.meta, recipe: older as typeof recipe });
    first.model.dispose();
    await expect(train({ config: tinyConfig(true), recipe, train: ds, normalization: norm, progress: quiet, runDir: dir, resume: true })).rejects.toThrow(
      /does not record its gate training, so it cannot resume exactly; start a new run from its weights with --init .*checkpoint\.ckpt/,
    );
    expect(() => checkResumableRecipe(recipe, path)).not.toThrow();
  });

  it('resuming from an interrupted run reproduces the uninterrupted weights bit for bit', async () => {
    const ds = toyDataset(64, 3);
    const recipe = buildRecipe({
      stages: ['backbone', 'gates', 'joint'],
      backboneEpochs: 1,
      gateEpochs: 1,
      jointEpochs: 1,
      batchSize: 16,
      target: 0.6,
      lr: 0.05,
    });
    const base = { config: tinyConfig(true), recipe, train: ds, normalization: norm, progress: quiet };
    const straight = await train({ ...base, runDir: mkdtempSync(join(tmpdir(), 'ddi-run-a-')) });
    expect(straight.interrupted).toBe(false);
    expect(straight.meta.history.map((h) => h.stage)).toEqual(['backbone', 'gates', 'joint']);

    const dir = mkdtempSync(join(tmpdir(), 'ddi-run-b-'));
    const first = await train({ ...base, runDir: dir, maxSteps: 6, command: ['train', '--name', 'toy'] }); // stops mid-epoch in stage 2
    expect(first.interrupted).toBe(true);
    expect(first.meta.position).toEqual({ stage: 1, epoch: 0, step: 2 });
    first.model.dispose();
    const resumed = await train({ ...base, runDir: dir, resume: true, command: ['train', '--name', 'toy', '--backend', 'cpu'] });
    expect(resumed.interrupted).toBe(false);
    // The run's record keeps the command that started it and the changed one that resumed it.
    expect(resumed.meta.commands).toEqual([
      ['train', '--name', 'toy'],
      ['train', '--name', 'toy', '--backend', 'cpu'],
    ]);

    const a = straight.model.readValuesSync();
    const b = resumed.model.readValuesSync();
    let identical = 0;
    for (const [name, v] of a) {
      expect(Array.from(b.get(name)!), name).toEqual(Array.from(v));
      identical++;
    }
    expect(identical).toBe(straight.model.specs.length);
    // Something was actually trained in every stage (weights moved from their initial values).
    const init = buildModel(tinyConfig(true), recipe.seed).readValuesSync();
    expect(Array.from(a.get('gate/layer/out/bias')!)).not.toEqual(Array.from(init.get('gate/layer/out/bias')!));
    expect(Array.from(a.get('stem/conv/kernel')!)).not.toEqual(Array.from(init.get('stem/conv/kernel')!));
    straight.model.dispose();
    resumed.model.dispose();
  });

  it('saves periodic mid-epoch checkpoints that a killed run resumes from bit for bit', async () => {
    const ds = toyDataset(64, 4);
    const recipe = buildRecipe({ stages: ['backbone'], backboneEpochs: 1, batchSize: 16, lr: 0.05 });
    const base = { config: tinyConfig(false), recipe, train: ds, normalization: norm };
    const straight = await train({ ...base, progress: quiet, runDir: mkdtempSync(join(tmpdir(), 'ddi-run-c-')) });

    // Interval 0 = save after every step. Copy the checkpoint as it stood after step 2, as if
    // the process had been killed (no signal handler runs) right after that save.
    const dir = mkdtempSync(join(tmpdir(), 'ddi-run-d-'));
    const killedDir = mkdtempSync(join(tmpdir(), 'ddi-run-e-'));
    const periodic: number[] = [];
    const watcher = {
      update() {},
      line(s: string) {
        if (!s.includes('(periodic)')) return;
        const step = readCheckpoint<{ position: { step: number } }>(join(dir, CHECKPOINT_FILE)).meta.position.step;
        periodic.push(step);
        if (step === 2) copyFileSync(join(dir, CHECKPOINT_FILE), join(killedDir, CHECKPOINT_FILE));
      },
    } as never;
    const full = await train({ ...base, progress: watcher, runDir: dir, checkpointEverySeconds: 0 });
    expect(full.interrupted).toBe(false);
    // 4 steps per epoch: periodic saves after steps 1–3; the epoch end saves the 4th as usual.
    expect(periodic).toEqual([1, 2, 3]);
    full.model.dispose();

    const resumed = await train({ ...base, progress: quiet, runDir: killedDir, resume: true });
    const a = straight.model.readValuesSync();
    const b = resumed.model.readValuesSync();
    for (const [name, v] of a) expect(Array.from(b.get(name)!), name).toEqual(Array.from(v));
    straight.model.dispose();
    resumed.model.dispose();
  });
});
