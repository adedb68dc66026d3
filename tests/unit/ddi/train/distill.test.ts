import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resnetConfig, type ModelConfig } from '../../../../main/ddi/config';
import { saveModel } from '../../../../main/ddi/io';
import { buildModel, type ForwardTrainResult } from '../../../../main/ddi/model';
import { distillationLoss, loadTeacher, softTargets } from '../../../../main/ddi/train/distill';
import { ddiLoss } from '../../../../main/ddi/train/loss';
import { SgdMomentum } from '../../../../main/ddi/train/optimizer';
import { buildRecipe } from '../../../../main/ddi/train/recipe';
import { modelCard } from '../../../../main/ddi/train/card';
import { prepareTraining } from '../../../../main/ddi/train/setup';
import { trainStep } from '../../../../main/ddi/train/step';
import { train } from '../../../../main/ddi/train/trainer';
import { distillFromFlags } from '../../../../main/cli/commands/train';
import { Rng } from '../../../../main/ddi/train/rng';
import { isUserError } from '../../../../main/util/errors';

const config = (numClasses = 4): ModelConfig =>
  resnetConfig({
    blocksPerStage: [1, 1, 1],
    widths: [4, 8, 8],
    input: { height: 8, width: 8, channels: 1 },
    numClasses,
    gates: { layer: false, channel: false },
    exits: { afterUnit: [1], headWidth: 4 },
    name: 'tiny',
  });

function batch(n: number, seed: number): { x: tf.Tensor4D; labels: Int32Array } {
  const rng = new Rng(seed);
  const x = tf.tensor4d(
    Float32Array.from({ length: n * 64 }, () => rng.int(256) / 255 - 0.5),
    [n, 8, 8, 1],
  );
  return { x, labels: Int32Array.from({ length: n }, (_, i) => i % 4) };
}

beforeAll(async () => {
  prepareTraining();
  await tf.setBackend('wasm');
});

describe('knowledge distillation', () => {
  it('the term is T² times the KL divergence, zero for a student that matches the teacher', () => {
    const T = 2;
    const teacherLogits = [
      [2, 0, -1],
      [0.5, 0.5, 3],
    ];
    const studentLogits = [
      [0, 1, 0],
      [1, -1, 2],
    ];
    const softmax = (z: number[]) => {
      const e = z.map((v) => Math.exp(v / T));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    };
    const want =
      (T *
        T *
        teacherLogits
          .map((t, i) => {
            const p = softmax(t);
            const q = softmax(studentLogits[i]!);
            return p.reduce((acc, pk, k) => acc + pk * Math.log(pk / q[k]!), 0);
          })
          .reduce((a, b) => a + b, 0)) /
      2;
    const probs = tf.softmax(tf.div(tf.tensor2d(teacherLogits), T)) as tf.Tensor2D;
    const soft = { probs, temperature: T, weight: 1 };
    expect(distillationLoss(tf.tensor2d(studentLogits), soft).dataSync()[0]).toBeCloseTo(want, 5);
    expect(want).toBeGreaterThan(0.1);
    expect(Math.abs(distillationLoss(tf.tensor2d(teacherLogits), soft).dataSync()[0]!)).toBeLessThan(1e-5);

    // In the DDI loss: weight · (final + exit weight · Σ exits), on top of the cross-entropies.
    const labels = tf.tensor1d([0, 2], 'int32');
    const out = {
      logits: tf.tensor2d(studentLogits),
      exitLogits: [tf.tensor2d(teacherLogits), tf.tensor2d(studentLogits)],
      cost: tf.tensor1d([1, 1]),
      fullCost: 1,
    } as unknown as ForwardTrainResult;
    const plain = ddiLoss(out, labels, { exitWeight: 0.5 }).total.dataSync()[0]!;
    const distilled = ddiLoss(out, labels, { exitWeight: 0.5, distill: { ...soft, weight: 3 } }).total.dataSync()[0]!;
    expect(distilled - plain).toBeCloseTo(3 * (want + 0.5 * (0 + want)), 4);
  });

  it('training steps with a teacher pull the student towards it, without leaking tensors', () => {
    const teacher = buildModel(config(), 11);
    // A confident teacher: a random network's logits are nearly uniform, which any student matches.
    const fc = teacher.variable('classifier/fc/kernel');
    fc.assign(tf.mul(fc, 30));
    const { x, labels } = batch(16, 5);
    const klToTeacher = (student: ReturnType<typeof buildModel>) =>
      tf.tidy(() => {
        const soft = softTargets(teacher, x, { temperature: 2, weight: 1 });
        return distillationLoss(student.forwardTrain(x, { training: true, updateStats: false, gates: 'all-on' }).logits, soft).dataSync()[0]!;
      });
    const run = (distil: boolean) => {
      const student = buildModel(config(), 3);
      const opt = new SgdMomentum({ momentum: 0.9, weightDecay: 0 });
      const before = klToTeacher(student);
      const o = {
        groups: ['backbone', 'exits'] as ('backbone' | 'exits')[],
        lr: 0.05,
        gates: 'all-on' as const,
        loss: { exitWeight: 1 },
        ...(distil ? { teacher: { model: teacher, temperature: 2, weight: 5 } } : {}),
      };
      trainStep(student, opt, x, labels, o);
      const tensors = tf.memory().numTensors;
      for (let i = 0; i < 9; i++) trainStep(student, opt, x, labels, o);
      expect(tf.memory().numTensors).toBe(tensors);
      const after = klToTeacher(student);
      opt.dispose();
      student.dispose();
      return { before, after };
    };
    const withTeacher = run(true);
    const labelsOnly = run(false);
    expect(withTeacher.after).toBeLessThan(withTeacher.before * 0.7);
    // Labels alone do not do this: the teacher is a random network the labels know nothing about.
    expect(withTeacher.after).toBeLessThan(labelsOnly.after * 0.7);
    x.dispose();
    teacher.dispose();
  });

  it('a teacher must answer the same question, and a distilling recipe needs its teacher', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ddi-teacher-'));
    const model = buildModel(config(), 1);
    await saveModel(model, dir);
    model.dispose();
    const t = loadTeacher(dir, config());
    expect(t.config.numClasses).toBe(4);
    t.dispose();
    expect(() => loadTeacher(dir, config(10))).toThrow(
      /takes 8×8×1 images and 4 classes, the student 8×8×1 and 10; distil from a model trained on the same data/,
    );

    const recipe = buildRecipe({ stages: ['backbone'], backboneEpochs: 1, batchSize: 8, distill: { from: dir, weight: 1, temperature: 4 } });
    expect(
      modelCard({
        name: 's',
        meta: {
          config: config(),
          recipe,
          normalization: { mean: [0], std: [1] },
          position: { stage: 1, epoch: 0, step: 0 },
          history: [],
          wallSeconds: 1,
          dataset: 'toy',
        },
        evals: [],
      }),
    ).toContain(`- Distillation from \`${dir}\`: weight 1, temperature 4`);
    const ds = {
      name: 'toy',
      n: 8,
      height: 8,
      width: 8,
      channels: 1,
      numClasses: 4,
      classNames: ['a', 'b', 'c', 'd'],
      images: new Uint8Array(8 * 64),
      labels: new Uint8Array(8),
    };
    await expect(
      train({
        config: config(),
        recipe,
        train: ds,
        normalization: { mean: [0], std: [1] },
        runDir: mkdtempSync(join(tmpdir(), 'ddi-kd-run-')),
        progress: { update() {}, line() {} } as never,
      }),
    ).rejects.toThrow(/no teacher was passed/);

    expect(() => buildRecipe({ distill: { from: dir, weight: 1, temperature: 0 } })).toThrow(/temperature 0 is not positive/);
    for (const [flags, message] of [
      [{ distillWeight: '2' }, /need --distill-from DIR/],
      [{ distillFrom: dir, distillTemperature: 'hot' }, /--distill-temperature "hot" is not a number/],
    ] as const) {
      try {
        distillFromFlags(flags);
        throw new Error('expected a UserError');
      } catch (e) {
        expect(isUserError(e), String(e)).toBe(true);
        expect((e as Error).message).toMatch(message);
      }
    }
    expect(distillFromFlags({ distillFrom: dir })).toEqual({ from: dir, weight: 1, temperature: 4 });
  });
});
