/**
 * One training run end to end, as the `train` command and the zoo scripts use it: load data,
 * build or resume the run, train with Ctrl-C handling, evaluate, save model.json + weights.bin
 * with the training metadata, and write the model card.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelConfig } from '../config';
import { loadDataset, type ImageDataset } from '../data/dataset';
import { loadModel, saveModel } from '../io';
import { UserError } from '../../util/errors';
import { channelStats } from './batches';
import { readCheckpoint } from './checkpoint';
import { writeModelCard, type CardEval } from './card';
import { evaluateMasked } from './evaluate';
import { ProgressPrinter } from './progress';
import { changeClipNorm, checkResumableRecipe, type Recipe, type StageName } from './recipe';
import { lockRunDir } from './runLock';
import { CHECKPOINT_FILE, loadRun, train, type RunMeta, type TrainResult } from './trainer';
import type { DdiModel, InputNormalization } from '../model';
import { loadTeacher, type DistillConfig } from './distill';

export interface RunOptions {
  name: string;
  config: ModelConfig;
  recipe: Recipe;
  dataset: string;
  /** Per-epoch evaluation set: "sample", a dataset spec, or "none". */
  evalDataset: string;
  runDir: string;
  resume: boolean;
  /** Model folder or checkpoint file to initialise matching parameters from. */
  init?: string;
  /** With resume: clip the stages that have not started (TrainOptions). */
  clipNormOnResume?: { norm: number; stages?: StageName[] };
  /** Where to save the finished model (model.json, weights.bin, card.md); undefined = only the checkpoint. */
  out?: string;
  description?: string;
  backend: string;
  /** Evaluate the finished model on the full test split of the dataset (slow on big test sets). */
  finalEval: boolean;
  /** Mid-epoch checkpoint interval (see TrainOptions.checkpointEverySeconds). */
  checkpointEverySeconds?: number;
  /** The invocation's `ddi-profiler` arguments without `--resume` (RunMeta.commands). */
  command?: string[];
  log?: (s: string) => void;
}

function loadInit(spec: string): { values: Map<string, Float32Array>; from: string } {
  if (existsSync(join(spec, 'model.json'))) {
    const m = loadModel(spec);
    const values = m.model.readValuesSync();
    m.model.dispose();
    return { values, from: spec };
  }
  const ckFile = existsSync(join(spec, CHECKPOINT_FILE)) ? join(spec, CHECKPOINT_FILE) : spec;
  if (!existsSync(ckFile)) throw new UserError(`--init ${spec} is neither a model folder (model.json) nor a training checkpoint; pass one of those.`);
  return { values: readCheckpoint<RunMeta>(ckFile).params, from: ckFile };
}

export interface RunResult extends TrainResult {
  evals: CardEval[];
}

/** A resume may repeat the checkpoint's distillation flags (or leave them out), not change them. */
function checkSameDistillation(asked: DistillConfig | undefined, recorded: DistillConfig | undefined): void {
  if (!asked) return;
  const say = (d: DistillConfig | undefined) => (d ? `distillation from ${d.from} (weight ${d.weight}, temperature ${d.temperature})` : 'no distillation');
  if (recorded && asked.from === recorded.from && asked.weight === recorded.weight && asked.temperature === recorded.temperature) return;
  throw new UserError(
    `The checkpoint's run trains with ${say(recorded)}, and --resume cannot switch it to ${say(asked)}; drop the --distill flags, or start a new run with --init from the checkpoint.`,
  );
}

export async function runTraining(o: RunOptions): Promise<RunResult> {
  const log = o.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const unlock = lockRunDir(o.runDir);
  try {
    return await runLocked(o, log);
  } finally {
    unlock();
  }
}

async function runLocked(o: RunOptions, log: (s: string) => void): Promise<RunResult> {
  const trainSet = loadDataset(o.dataset, 'train');
  const evalSet: ImageDataset | undefined = o.evalDataset === 'none' ? undefined : loadDataset(o.evalDataset, 'test');
  if (trainSet.height !== o.config.input.height || trainSet.width !== o.config.input.width || trainSet.channels !== o.config.input.channels) {
    throw new UserError(
      `The data set is ${trainSet.height}×${trainSet.width}×${trainSet.channels} but the model expects ${o.config.input.height}×${o.config.input.width}×${o.config.input.channels}; pick a matching architecture.`,
    );
  }
  const normalization = channelStats(trainSet);
  // The recipe and architecture that will train: the checkpoint's on resume, else the flags'.
  let inEffect: Pick<RunMeta, 'recipe' | 'config'> = { recipe: o.recipe, config: o.config };
  if (o.resume) {
    const ck = join(o.runDir, CHECKPOINT_FILE);
    if (existsSync(ck)) {
      const m = readCheckpoint<RunMeta>(ck).meta;
      inEffect = m;
      const p = m.position;
      log(
        `Resuming ${ck} at stage ${p.stage + 1} epoch ${p.epoch + 1} step ${p.step + 1}; architecture and recipe come from the checkpoint, not from the flags.`,
      );
      checkResumableRecipe(m.recipe, ck);
      if (o.clipNormOnResume) {
        const stages = changeClipNorm(structuredClone(m.recipe), p, o.clipNormOnResume.norm, o.clipNormOnResume.stages);
        log(`Gradient clipping at global norm ${o.clipNormOnResume.norm} for the stages ahead: ${stages.join(', ')}.`);
      }
      checkSameDistillation(o.recipe.distill, m.recipe.distill);
    }
  }
  const distill = inEffect.recipe.distill;
  const teacher = distill ? loadTeacher(distill.from, inEffect.config) : undefined;
  if (distill) log(`Distilling from ${distill.from} (weight ${distill.weight}, temperature ${distill.temperature}).`);
  try {
    return await trainAndExport(o, log, { trainSet, evalSet, normalization, teacher });
  } finally {
    teacher?.dispose();
  }
}

async function trainAndExport(
  o: RunOptions,
  log: (s: string) => void,
  d: { trainSet: ImageDataset; evalSet?: ImageDataset; normalization: InputNormalization; teacher?: DdiModel },
): Promise<RunResult> {
  const { trainSet, evalSet, normalization } = d;
  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(130); // second Ctrl-C: give up immediately
    stop = true;
    log('\nCtrl-C: finishing this step and saving a checkpoint (press again to quit at once)');
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  log(`Training (checkpoints in ${o.runDir}); Ctrl-C saves a checkpoint and stops.`);
  let res: TrainResult;
  try {
    res = await train({
      config: o.config,
      recipe: o.recipe,
      train: trainSet,
      evalSet,
      normalization,
      runDir: o.runDir,
      resume: o.resume,
      init: o.init && !o.resume ? loadInit(o.init) : undefined,
      clipNormOnResume: o.resume ? o.clipNormOnResume : undefined,
      progress: new ProgressPrinter(),
      shouldStop: () => stop,
      checkpointEverySeconds: o.checkpointEverySeconds,
      backend: o.backend,
      command: o.command,
      teacher: d.teacher,
    });
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
  const evals: CardEval[] = [];
  if (res.interrupted) {
    log(`Interrupted. Resume with the same command plus --resume (checkpoint: ${res.checkpointPath}).`);
    return { ...res, evals };
  }
  if (o.out) evals.push(...(await exportModel(res.model, res.meta, { ...o, out: o.out, log })));
  return { ...res, evals };
}

export interface ExportOptions {
  name: string;
  out: string;
  dataset: string;
  finalEval: boolean;
  description?: string;
  log?: (s: string) => void;
}

/** Where a run stands, in words, for the card of a model exported mid-run. */
export function progressNote(meta: RunMeta): string | undefined {
  const st = meta.recipe.stages;
  const p = meta.position;
  if (p.stage >= st.length) return undefined;
  const done = meta.history.length;
  const total = st.reduce((a, s) => a + s.epochs, 0);
  return `Training in progress: ${done} of ${total} epochs done (next: stage ${st[p.stage]!.name} epoch ${p.epoch + 1}${p.step ? ` step ${p.step + 1}` : ''}); the weights are the latest checkpoint, not the final model.`;
}

/** Evaluates a trained (or in-progress) model and saves model.json + weights.bin + card.md. */
export async function exportModel(model: DdiModel, meta: RunMeta, o: ExportOptions): Promise<CardEval[]> {
  const log = o.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const evals: CardEval[] = [];
  const gates = meta.recipe.stages[Math.min(meta.position.stage, meta.recipe.stages.length - 1)]?.gates ?? 'all-on';
  const sets: [string, string][] = [['sample', 'sample']];
  if (o.finalEval) sets.unshift([o.dataset === 'fashion-mnist' ? 'fashion-mnist test (10000)' : `${o.dataset} test`, o.dataset]);
  let classes: string[] | undefined;
  for (const [label, spec] of sets) {
    let ds: ImageDataset;
    try {
      ds = loadDataset(spec, 'test');
    } catch {
      continue; // e.g. the Fashion-MNIST sample for a model of another data set
    }
    if (ds.height !== model.config.input.height || ds.width !== model.config.input.width || ds.channels !== model.config.input.channels) continue;
    classes ??= ds.classNames;
    const ev = evaluateMasked(model, ds, meta.normalization, { gates });
    // MACs as the engine's iadi/static modes count them: gates included, exit heads not run.
    const meanMacs = ev.costs.reduce((a, b) => a + b, 0) / ev.n - ev.exitCost;
    const fullMacs = ev.fullCost - ev.exitCost;
    evals.push({ dataset: label, n: ev.n, accuracy: ev.accuracy, exitAccuracy: ev.exitAccuracy, meanMacs, fullMacs, gateOnRate: ev.gateOnRate, gates });
    log(
      `${label}: top-1 ${(100 * ev.accuracy).toFixed(2)}%, mean ${(meanMacs / 1e6).toFixed(2)} M MACs (${((100 * meanMacs) / fullMacs).toFixed(1)}% of ${(fullMacs / 1e6).toFixed(2)} M, exit heads excluded)`,
    );
  }
  const note = progressNote(meta);
  const description = [o.description, note].filter(Boolean).join(' ');
  await saveModel(model, o.out, {
    name: o.name,
    description: description || undefined,
    dataset: { name: o.dataset === 'fashion-mnist' ? 'fashion-mnist' : meta.dataset, classes },
    normalization: meta.normalization,
    training: {
      inProgress: note !== undefined,
      position: meta.position,
      recipe: meta.recipe,
      initFrom: meta.initFrom,
      commands: meta.commands,
      wallSeconds: Math.round(meta.wallSeconds),
      backend: meta.backend,
      history: meta.history,
      evaluations: evals,
    },
  });
  writeModelCard(o.out, { name: o.name, description: description || undefined, meta, evals });
  log(`Saved ${o.out}`);
  return evals;
}

/** Exports the latest checkpoint of a run folder as a model folder (no training). */
export async function exportCheckpoint(runDir: string, o: ExportOptions): Promise<CardEval[]> {
  const path = join(runDir, CHECKPOINT_FILE);
  if (!existsSync(path)) throw new UserError(`No checkpoint at ${path}; train first or pass the run folder that holds it.`, 'bad-checkpoint');
  const { model, opt, meta } = loadRun(path, 0.9, 0);
  opt.dispose();
  try {
    return await exportModel(model, meta, o);
  } finally {
    model.dispose();
  }
}
