// The pretrained model zoo as data, and the decision of what to train next. One place for the
// exact training commands: scripts/train-zoo.mjs runs them, docs/models.md points here.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** @typedef {{ name: string, after: string[], args: string[] }} ZooEntry */

const gated = (name, gates, target) => ({
  name,
  after: ['static'],
  args: ['--arch', 'resnet14', '--gates', gates, '--target', String(target), '--init', 'data/models/static', '--gate-epochs', '1', '--joint-epochs', '2'],
});

/**
 * Order matters when jobs are limited: the static backbone first (every gated ResNet starts from
 * it), then the model the headline target is about (mgl2s-50), then its ablation partners.
 * @type {ZooEntry[]}
 */
export const ZOO = [
  { name: 'static', after: [], args: ['--arch', 'resnet14', '--epochs', '10'] },
  gated('mgl2s-50', 'both', 50),
  gated('layer-only-50', 'layer', 50),
  gated('channel-only-50', 'channel', 50),
  gated('mgl2s-30', 'both', 30),
  gated('mgl2s-70', 'both', 70),
  {
    name: 'densenet-ddi-50',
    after: [],
    args: ['--arch', 'densenet', '--blocks', '4,4,4', '--growth', '8', '--gates', 'channel', '--target', '50', '--stages', 'all', '--epochs', '6', '--gate-epochs', '1', '--joint-epochs', '2', '--max-steps-per-epoch', '235', '--gate-gradient', 'logit-bounded', '--clip-norm', '2', '--clip-stages', 'joint'],
  },
];

/**
 * State of one zoo model on disk: 'done' = a finished model folder; 'partial' = a checkpoint to
 * resume (the model folder, if any, is an in-progress export); 'new' = nothing yet.
 */
export function modelState(root, name) {
  const modelJson = join(root, 'data', 'models', name, 'model.json');
  if (existsSync(modelJson)) {
    try {
      const m = JSON.parse(readFileSync(modelJson, 'utf8'));
      if (m.training && m.training.inProgress !== true) return 'done';
    } catch {
      // A damaged model.json is not a finished model; the checkpoint decides below.
    }
  }
  return existsSync(join(root, 'data', 'checkpoints', name, 'checkpoint.ckpt')) ? 'partial' : 'new';
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
