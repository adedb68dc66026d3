/**
 * Knowledge distillation from a trained teacher (Hinton, Vinyals & Dean, "Distilling the Knowledge
 * in a Neural Network", arXiv 1503.02531): besides the labels, the student's final classifier and
 * every exit are pulled towards the teacher's softened class probabilities,
 *   L_KD = weight · T² · mean_batch KL(softmax(t/T) ‖ softmax(s/T)),
 * T² keeping the term's gradient on the scale of the cross-entropy's. Not part of the DDI recipe:
 * an option for gated models fine-tuned from a static model in a few epochs, where the static model
 * is the natural teacher (docs/models.md).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from '../config';
import { loadModel } from '../io';
import type { DdiModel } from '../model';
import { UserError } from '../../util/errors';

/** Recorded in the recipe, so a resumed run loads the same teacher. */
export interface DistillConfig {
  /** Model folder of the teacher. */
  from: string;
  /** Weight of the distillation term relative to the cross-entropy (exits scaled by the exit weight as their CE). */
  weight: number;
  /** Softening temperature T (> 0). */
  temperature: number;
}

export const DISTILL_DEFAULTS = { weight: 1, temperature: 4 };

/** The softened targets, per batch: the teacher's probabilities at temperature T. */
export interface SoftTargets {
  probs: tf.Tensor2D;
  temperature: number;
  weight: number;
}

export function checkDistill(d: DistillConfig): void {
  if (!(d.temperature > 0)) throw new UserError(`Distillation temperature ${d.temperature} is not positive; pass e.g. --distill-temperature 4.`);
  if (!(d.weight >= 0)) throw new UserError(`Distillation weight ${d.weight} is negative; pass 0 (off) or a positive weight.`);
}

/** Loads the teacher and checks that it answers the student's question (same input and classes). */
export function loadTeacher(dir: string, student: ModelConfig): DdiModel {
  const { model } = loadModel(dir);
  const t = model.config;
  const same =
    t.numClasses === student.numClasses &&
    t.input.height === student.input.height &&
    t.input.width === student.input.width &&
    t.input.channels === student.input.channels;
  if (!same) {
    model.dispose();
    throw new UserError(
      `The teacher ${dir} takes ${t.input.height}×${t.input.width}×${t.input.channels} images and ${t.numClasses} classes, the student ${student.input.height}×${student.input.width}×${student.input.channels} and ${student.numClasses}; distil from a model trained on the same data.`,
    );
  }
  return model;
}

/** The teacher's softened probabilities for a normalised batch (evaluation mode, its own gates). */
export function softTargets(teacher: DdiModel, x: tf.Tensor4D, d: Pick<DistillConfig, 'temperature' | 'weight'>): SoftTargets {
  const probs = tf.tidy(() => {
    const out = teacher.forwardTrain(x, { training: false, updateStats: false, gates: 'learned' });
    return tf.softmax(tf.div(out.logits, d.temperature)) as tf.Tensor2D;
  });
  return { probs, temperature: d.temperature, weight: d.weight };
}

/** T² · mean over the batch of KL(teacher ‖ student) at temperature T. */
export function distillationLoss(studentLogits: tf.Tensor2D, t: SoftTargets): tf.Scalar {
  return tf.tidy(() => {
    const logQ = tf.logSoftmax(tf.div(studentLogits, t.temperature));
    // p · log p with 0 · log 0 = 0: a teacher probability that underflows to 0 contributes nothing.
    const logP = tf.log(tf.maximum(t.probs, 1e-30));
    const kl = tf.sum(tf.mul(t.probs, tf.sub(logP, logQ)), 1);
    return tf.mul(tf.mean(kl), t.temperature * t.temperature) as tf.Scalar;
  });
}
