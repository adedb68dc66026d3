/**
 * Every exit's top-1 on every image ("every exit on every image" in eval's report), measured by the
 * engine's own runtime: one trunk pass per batch in the mode's unbudgeted form, with each exit head
 * run on every row as the trunk passes it (RunOptions.everyExit) and the classifier at the end.
 *
 * Before this, eval ran a second, masked network on tfjs for it (train/evaluate.ts, the training
 * path: masks on the full batch, every unit at full width), which on ONNX Runtime took five times
 * longer than the inference it reports on. Both compute the same function (tests hold them to the
 * same predictions); the masked pass still serves training, where the model is a tfjs one anyway.
 */
import { takesBudget, usesGates } from '../domain/modes';
import type { RunOptions } from './infer';
import type { InferenceMode, InferenceRecord } from './types';

/**
 * The mode whose pass measures every exit for `mode`: the same gates without the budget (a halted
 * row reaches no later exit), i.e. iadi for iadi/ddi and static for static/radi.
 */
export function exitPassMode(mode: InferenceMode): 'static' | 'iadi' {
  return usesGates(mode) ? 'iadi' : 'static';
}

/** Whether `mode`'s own pass can measure every exit (no budget, so no row halts). */
export function measuresEveryExit(mode: InferenceMode): boolean {
  return !takesBudget(mode);
}

/** Counts, per exit and for the classifier, the images whose top-1 class is their label. */
export class ExitTally {
  /** Per exit, per image: the predicted class, -1 until that exit has seen the image. */
  readonly predictions: Int16Array[];
  /** Per image: the classifier's class, -1 until seen. */
  readonly classifier: Int16Array;

  constructor(
    private readonly labels: ArrayLike<number>,
    exits: number,
    private readonly numClasses: number,
  ) {
    this.predictions = Array.from({ length: exits }, () => new Int16Array(labels.length).fill(-1));
    this.classifier = new Int16Array(labels.length).fill(-1);
  }

  /** RunOptions.everyExit for a call whose rows index the tally's images. */
  readonly onExit: NonNullable<RunOptions['everyExit']> = (exit, rows, logits) => {
    const pred = this.predictions[exit];
    if (!pred) throw new Error(`no exit ${exit} in a tally of ${this.predictions.length}`);
    const k = this.numClasses;
    rows.forEach((r, j) => {
      // First maximum, as argMax and argmaxSoftmax pick it.
      let best = 0;
      for (let c = 1; c < k; c++) if (logits[j * k + c]! > logits[j * k + best]!) best = c;
      pred[r] = best;
    });
  };

  /** The classifier's answers, from the records of a pass without a budget (every record answers there). */
  addRecords(records: InferenceRecord[], offset: number): void {
    records.forEach((rec, i) => {
      if (rec.exit !== null) throw new Error(`image ${offset + i} answered from exit ${rec.exit}; the exit pass must not halt`);
      this.classifier[offset + i] = rec.predictedClass;
    });
  }

  /** Top-1 of each exit and of the classifier; throws if any image was missed (a pass that did not cover them all). */
  result(): { exitAccuracy: number[]; accuracy: number } {
    const n = this.labels.length;
    const acc = (pred: Int16Array, what: string) => {
      let correct = 0;
      for (let i = 0; i < n; i++) {
        if (pred[i]! < 0) throw new Error(`${what} never saw image ${i}`);
        if (pred[i] === this.labels[i]) correct++;
      }
      return n > 0 ? correct / n : 0;
    };
    return { exitAccuracy: this.predictions.map((p, e) => acc(p, `exit${e}`)), accuracy: acc(this.classifier, 'the classifier') };
  }
}

/** An everyExit callback for a call on images from `offset` on, reporting rows counted from the first image. */
export function offsetRows(cb: RunOptions['everyExit'], offset: number): RunOptions['everyExit'] {
  if (!cb || offset === 0) return cb;
  return (exit, rows, logits) =>
    cb(
      exit,
      rows.map((r) => r + offset),
      logits,
    );
}
