// The pretrained model zoo as data, and the decision of what to train next. One place for the
// exact training commands: scripts/train-zoo.mjs runs them, docs/models.md points here.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** @typedef {{ name: string, after: string[], args: string[], revision?: number }} ZooEntry */

// Recipe revision 2 (2026-11-26, docs/lab/models-log.md "Longer joint training and ungated downsampling
// blocks"): six joint epochs instead of two, and mgl2s models never skip a downsampling block.
// layer-only keeps them skippable: without them its layer gates reach at most 49.6 % of the MACs,
// so a 50 % target would switch every gate off.
//
// Revision 3 (docs/lab/models-log.md "Revision 3 trial"): revision 2 plus distillation from `static`.
// Tried on mgl2s-50 first; it won there by 11 test images (91.24 against 91.13 %), so by the rule
// written before the result every gated ResNet follows, keeping the ablation like for like.
const gated = (name, gates, target, extra = [], revision = 2) => ({
  name,
  after: ['static'],
  revision,
  args: [
    '--arch',
    'resnet14',
    '--gates',
    gates,
    ...extra,
    '--target',
    String(target),
    '--init',
    'data/models/static',
    '--gate-epochs',
    '1',
    '--joint-epochs',
    '6',
    ...(revision >= 3 ? distilledFromStatic : []),
  ],
});
const ungatedDownsampling = ['--skip-downsampling', 'no'];
const distilledFromStatic = ['--distill-from', 'data/models/static'];

/**
 * Order matters when jobs are limited: the static backbone first (every gated ResNet starts from
 * it), then the model the headline target is about (mgl2s-50), then its ablation partners.
 * @type {ZooEntry[]}
 */
export const ZOO = [
  { name: 'static', after: [], args: ['--arch', 'resnet14', '--epochs', '10'] },
  gated('mgl2s-50', 'both', 50, ungatedDownsampling, 3),
  gated('layer-only-50', 'layer', 50, [], 3),
  gated('channel-only-50', 'channel', 50, [], 3),
  gated('mgl2s-30', 'both', 30, ungatedDownsampling, 3),
  gated('mgl2s-70', 'both', 70, ungatedDownsampling, 3),
  {
    name: 'densenet-ddi-50',
    after: [],
    args: [
      '--arch',
      'densenet',
      '--blocks',
      '4,4,4',
      '--growth',
      '8',
      '--gates',
      'channel',
      '--target',
      '50',
      '--stages',
      'all',
      '--epochs',
      '6',
      '--gate-epochs',
      '1',
      '--joint-epochs',
      '2',
      '--max-steps-per-epoch',
      '235',
      '--gate-gradient',
      'logit-bounded',
      '--clip-norm',
      '2',
      '--clip-stages',
      'joint',
    ],
  },
];

/**
 * State of one zoo model on disk: 'done' = a finished model folder made by the plan's current
 * command; 'partial' = a checkpoint to resume (the model folder, if any, is an in-progress export
 * or an older model the run will replace); 'stale' = a finished model from an older recipe, still
 * shipped until its retraining finishes; 'new' = nothing yet.
 *
 * A model records the arguments that started its run (training.commands[0]). Models from before
 * that record count as current unless the entry's `revision` is above 1.
 * @param {string} root
 * @param {ZooEntry} entry
 */
export function modelState(root, entry) {
  const t = finishedTraining(root, entry.name);
  const started = t?.commands?.[0];
  const current = started ? started.join('\0') === trainArgs(entry, 'new').join('\0') : (entry.revision ?? 1) <= 1;
  if (t && current) return 'done';
  if (existsSync(join(root, 'data', 'checkpoints', entry.name, 'checkpoint.ckpt'))) return 'partial';
  return t ? 'stale' : 'new';
}

/**
 * The training record of the finished model shipped in data/models/<name>, or undefined when
 * there is none (no folder, an in-progress export, or a damaged model.json).
 */
export function finishedTraining(root, name) {
  const modelJson = join(root, 'data', 'models', name, 'model.json');
  if (!existsSync(modelJson)) return undefined;
  try {
    const t = JSON.parse(readFileSync(modelJson, 'utf8')).training;
    return t && t.inProgress !== true ? t : undefined;
  } catch {
    return undefined;
  }
}

/** The full `ddi-profiler train` argument list for an entry in its current state. */
export function trainArgs(entry, state, extra = []) {
  const args = ['train', '--name', entry.name, ...entry.args, '--run-dir', `data/checkpoints/${entry.name}`, '--out', `data/models/${entry.name}`, ...extra];
  // A resumed run takes architecture and recipe from its checkpoint; --init would be ignored.
  return state === 'partial' ? [...args, '--resume'] : args;
}

/**
 * Entries that can start now: not done, not running, every dependency done. Partial runs first
 * (finishing work beats starting new work), then zoo order.
 */
export function runnable(zoo, states, running = new Set()) {
  const ready = zoo.filter((e) => states.get(e.name) !== 'done' && !running.has(e.name) && e.after.every((d) => states.get(d) === 'done'));
  return [...ready.filter((e) => states.get(e.name) === 'partial'), ...ready.filter((e) => states.get(e.name) !== 'partial')];
}
