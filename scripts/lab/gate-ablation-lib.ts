/**
 * Gate ablation: replays every gate's learned decision image by image and overrides chosen blocks
 * (never run, run with the learned channels, run at full width), so a block's part in a trained
 * dynamic model can be measured without retraining. Masked training semantics, as in
 * evaluateMasked: the `learned` row reproduces its accuracy and cost.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ImageDataset } from '../../main/ddi/data/dataset';
import { normalizeImages, type DdiModel, type GatePattern, type InputNormalization } from '../../main/ddi/model';
import { UserError } from '../../main/util/errors';
import { batchLabels, batchTensor } from '../../main/ddi/train/batches';

/** off: the block never runs; on: it always runs, channels as learned; full: always, every channel. */
export type BlockOverride = 'off' | 'on' | 'full';

export interface AblationVariant {
  /** As given on the command line, e.g. `block5=off,block3=full`; `learned` = no override. */
  name: string;
  overrides: Map<number, BlockOverride>;
}

export interface AblationResult {
  name: string;
  n: number;
  accuracy: number;
  exitAccuracy: number[];
  /** Mean per-image cost / full cost, exit heads included (the masked pass computes every exit). */
  meanCostFraction: number;
}

const MODES: readonly BlockOverride[] = ['off', 'on', 'full'];

/** Parses `blockK=off|on|full[,blockJ=...]` against the model's gates; bad text is a UserError. */
export function parseAblationVariant(text: string, model: DdiModel): AblationVariant {
  const blocks = model.layout.trunk.filter((u) => u.layer >= 0);
  const skippable = blocks.filter((u) => u.layerGated).map((u) => u.layer);
  const overrides = new Map<number, BlockOverride>();
  for (const part of text.split(',')) {
    const m = /^block(\d+)=(\w+)$/.exec(part.trim());
    const mode = m?.[2] as BlockOverride | undefined;
    if (!m || !mode || !MODES.includes(mode)) {
      throw new UserError(
        `"${part}" is not a block override; write blockK=off, blockK=on or blockK=full (K = 0–${blocks.length - 1}), several joined by commas.`,
      );
    }
    const k = Number(m[1]);
    if (k >= blocks.length) throw new UserError(`block${k} does not exist: this model has blocks 0–${blocks.length - 1}.`);
    if (mode === 'off' && !skippable.includes(k)) {
      throw new UserError(`block${k} has no layer gate in this model, so it cannot be forced off; blocks with one: ${skippable.join(', ') || 'none'}.`);
    }
    if (overrides.has(k)) throw new UserError(`block${k} is overridden twice in "${text}"; give each block once.`);
    overrides.set(k, mode);
  }
  return { name: text, overrides };
}

function applyOverrides(p: GatePattern, overrides: Map<number, BlockOverride>): GatePattern {
  const q: GatePattern = { layer: [...p.layer], channel: [...p.channel] };
  for (const [k, mode] of overrides) {
    q.layer[k] = mode !== 'off';
    if (mode === 'full') q.channel[k] = null;
  }
  return q;
}

/** Learned decisions of one batch as forced patterns (blocks without a gate: run, every channel). */
async function learnedPatterns(model: DdiModel, x: tf.Tensor4D, layers: number): Promise<GatePattern[]> {
  const decisions = tf.tidy(() =>
    model.forwardTrain(x, { training: false, gates: 'learned' }).gates.map((g) => ({ kind: g.kind, layer: g.layer, decision: tf.keep(g.decision) })),
  );
  const B = x.shape[0];
  const pats: GatePattern[] = Array.from({ length: B }, () => ({
    layer: Array<boolean>(layers).fill(true),
    channel: Array<boolean[] | null>(layers).fill(null),
  }));
  for (const g of decisions) {
    const d = (await g.decision.array()) as number[][];
    g.decision.dispose();
    for (let i = 0; i < B; i++) {
      const row = d[i]!;
      if (g.kind === 'layer') pats[i]!.layer[g.layer] = row[0]! > 0.5;
      else pats[i]!.channel[g.layer] = row.map((v) => v > 0.5);
    }
  }
  return pats;
}

export async function evaluateAblations(
  model: DdiModel,
  ds: ImageDataset,
  norm: InputNormalization,
  variants: AblationVariant[],
  opts: { batchSize?: number; limit?: number } = {},
): Promise<AblationResult[]> {
  const bs = opts.batchSize ?? 250;
  const n = Math.min(ds.n, opts.limit ?? ds.n);
  const layers = model.layout.trunk.filter((u) => u.layer >= 0).length;
  const all = [{ name: 'learned', overrides: new Map<number, BlockOverride>() }, ...variants];
  const acc = all.map(() => ({ correct: 0, exits: model.layout.exits.map(() => 0), cost: 0, full: 0 }));
  for (let start = 0; start < n; start += bs) {
    const idx = Array.from({ length: Math.min(bs, n - start) }, (_, i) => start + i);
    const labels = batchLabels(ds, idx);
    const x = tf.tidy(() => normalizeImages(batchTensor(ds, idx), norm));
    const learned = await learnedPatterns(model, x, layers);
    for (let v = 0; v < all.length; v++) {
      const forced = learned.map((p) => applyOverrides(p, all[v]!.overrides));
      let full = 0;
      const outs = tf.tidy(() => {
        const out = model.forwardTrain(x, { training: false, forced });
        full = out.fullCost;
        return [out.cost, tf.argMax(out.logits, 1), ...out.exitLogits.map((l) => tf.argMax(l, 1))];
      });
      const [cost, pred, ...exits] = await Promise.all(outs.map((t) => t.data()));
      tf.dispose(outs);
      const a = acc[v]!;
      a.full = full;
      for (let i = 0; i < idx.length; i++) {
        a.cost += cost![i]!;
        if (pred![i] === labels[i]) a.correct++;
        exits.forEach((e, j) => {
          if (e[i] === labels[i]) a.exits[j]!++;
        });
      }
    }
    x.dispose();
  }
  return all.map((v, i) => {
    const a = acc[i]!;
    return { name: v.name, n, accuracy: a.correct / n, exitAccuracy: a.exits.map((c) => c / n), meanCostFraction: a.full > 0 ? a.cost / n / a.full : 1 };
  });
}
