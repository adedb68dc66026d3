/**
 * The training loop: stages → epochs → steps, with a checkpoint after every epoch (and on
 * interruption mid-epoch) from which `resume` continues bit-for-bit. Determinism comes from
 * deriving every random stream from (seed, stage, epoch[, step]) instead of carrying RNG state,
 * so the data order and augmentation of any step are the same whether or not the run resumed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelConfig } from '../config';
import type { ImageDataset } from '../data/dataset';
import { buildModel, DdiModel, normalizeImages, type InputNormalization } from '../model';
import { batchLabels, batchTensor } from './batches';
import { readCheckpoint, writeCheckpoint, encodeCheckpoint } from './checkpoint';
import { evaluateMasked } from './evaluate';
import { firstNonFinite } from './finite';
import { SgdMomentum } from './optimizer';
import { ProgressPrinter } from './progress';
import { changeClipNorm, checkResumableRecipe, type Recipe, type StageName } from './recipe';
import { Rng } from './rng';
import { learningRate } from './schedule';
import { trainableByName, trainStep, type StepOptions, type StepResult } from './step';
import { UserError } from '../../util/errors';

export interface Position {
  stage: number;
  epoch: number;
  step: number;
}

export interface EpochRecord {
  stage: string;
  epoch: number;
  /** Steps run in this call: fewer than epochSteps when the epoch was resumed after a stop. */
  steps: number;
  /** Steps in a whole epoch of this stage (absent in records written before 2026-11-27). */
  epochSteps?: number;
  trainLoss: number;
  trainAcc: number;
  trainCostPct: number;
  evalAcc?: number;
  evalExitAcc?: number[];
  evalCostPct?: number;
  lr: number;
  seconds: number;
  imgPerSec: number;
}

export interface RunMeta {
  config: ModelConfig;
  recipe: Recipe;
  normalization: InputNormalization;
  position: Position;
  history: EpochRecord[];
  wallSeconds: number;
  dataset: string;
  /** Where the initial weights came from (a static model for gated runs), if anywhere. */
  initFrom?: string;
  backend?: string;
  /**
   * The `ddi-profiler` arguments of every invocation that trained this run, in order (the start,
   * then each resume, `--resume` left out): the zoo compares them with its plan to tell a model
   * trained under the current recipe from an older one. Absent in runs started before 2026-11-26.
   */
  commands?: string[][];
}

export interface TrainOptions {
  config: ModelConfig;
  recipe: Recipe;
  train: ImageDataset;
  evalSet?: ImageDataset;
  normalization: InputNormalization;
  /** Folder for checkpoint.ckpt (gitignored runs live under .cache/runs/). */
  runDir: string;
  resume?: boolean;
  /** Parameter values to start from (matching names are copied, e.g. a static backbone). */
  init?: { values: ReadonlyMap<string, Float32Array>; from: string };
  /** With resume: clip the stages that have not started (recipe.ts changeClipNorm). */
  clipNormOnResume?: { norm: number; stages?: StageName[] };
  progress?: ProgressPrinter;
  /** Polled after every step; true = checkpoint and stop (Ctrl-C). */
  shouldStop?: () => boolean;
  /** Stop after this many steps in this call (tests). */
  maxSteps?: number;
  /**
   * Also save a checkpoint mid-epoch when this many seconds have passed since the last save:
   * an epoch takes 20–50 min on a shared 2-core machine, and a process killed without a
   * signal it can handle (session end, OOM killer) would otherwise lose the whole epoch.
   */
  checkpointEverySeconds?: number;
  backend?: string;
  /** This invocation's `ddi-profiler` arguments, recorded in RunMeta.commands. */
  command?: string[];
  /** The loaded teacher of a recipe with `distill` (distill.ts loadTeacher); required then. */
  teacher?: DdiModel;
}

export interface TrainResult {
  model: DdiModel;
  meta: RunMeta;
  interrupted: boolean;
  checkpointPath: string;
}

export const CHECKPOINT_FILE = 'checkpoint.ckpt';

/** uint32 seed for the stream of (seed, a, b, c). */
export function streamSeed(seed: number, a: number, b: number, c = 0): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const v of [a, b, c]) {
    h = Math.imul(h ^ (v + 0x7f4a7c15), 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h;
}

export function stepsPerEpoch(n: number, batchSize: number, cap?: number): number {
  const full = Math.floor(n / batchSize);
  return cap === undefined ? full : Math.min(full, cap);
}

function epochOrder(n: number, seed: number, stage: number, epoch: number): Uint32Array {
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  return new Rng(streamSeed(seed, stage, epoch)).shuffle(idx);
}

function shapesOf(model: DdiModel): Map<string, number[]> {
  return new Map(model.specs.map((s) => [s.name, s.shape]));
}

/** --resume keeps the checkpoint's recipe, so a changed learning rate or β needs a new run started from the checkpoint. */
const RETRY_ADVICE = 'Start a new run from it (--init with that checkpoint, --stages with the stages still to train) with a lower --lr or --beta.';

/** Throws when a weight is no longer finite; `at` says where in the run, `path` is the checkpoint left untouched. */
function assertFiniteWeights(values: Map<string, Float32Array>, at: string, path: string): void {
  const bad = firstNonFinite(values);
  if (bad !== null)
    throw new UserError(`Training produced non-finite weights (${bad}) at ${at}; the last checkpoint in ${path} was kept. ${RETRY_ADVICE}`, 'diverged');
}

/**
 * Writes the run's checkpoint, unless the weights are no longer finite: a NaN can leave the loss
 * finite on wasm (measured: XNNPACK's convolution turns a NaN input into −Infinity, fused with
 * ReLU into 0, so a network with NaN weights can run "dead" at chance accuracy),
 * which is how the DenseNet's first joint stage trained for an hour on NaN weights (2026-11-26).
 * Refusing to save keeps the last good checkpoint on disk.
 */
export function saveRun(path: string, model: DdiModel, opt: SgdMomentum, meta: RunMeta): void {
  const values = model.readValuesSync();
  const p = meta.position;
  assertFiniteWeights(values, `stage ${p.stage + 1} epoch ${p.epoch + 1} step ${p.step}`, path);
  writeCheckpoint(path, encodeCheckpoint(meta, values, opt.exportState(), shapesOf(model)));
}

/** Loads a run checkpoint into a fresh model and optimizer. */
export function loadRun(path: string, momentum: number, weightDecay: number): { model: DdiModel; opt: SgdMomentum; meta: RunMeta } {
  const ck = readCheckpoint<RunMeta>(path);
  const model = new DdiModel(ck.meta.config, ck.params);
  const opt = new SgdMomentum({ momentum, weightDecay });
  opt.importState(ck.momentum, ck.shapes);
  return { model, opt, meta: ck.meta };
}

/** Copies every parameter of `values` whose name and size match into the model. */
export function copyMatching(model: DdiModel, values: ReadonlyMap<string, Float32Array>): { copied: number; skipped: string[] } {
  let copied = 0;
  const skipped: string[] = [];
  for (const s of model.specs) {
    const v = values.get(s.name);
    const n = s.shape.reduce((a, b) => a * b, 1);
    if (v && v.length === n) {
      const t = tf.tensor(v, s.shape, 'float32');
      model.variable(s.name).assign(t);
      t.dispose();
      copied++;
    } else skipped.push(s.name);
  }
  return { copied, skipped };
}

export async function train(o: TrainOptions): Promise<TrainResult> {
  const ckPath = join(o.runDir, CHECKPOINT_FILE);
  const { model, opt, meta } = o.resume ? resumeRun(o, ckPath) : startRun(o);
  const recipe = meta.recipe;
  if (recipe.distill && !o.teacher) throw new Error(`The recipe distils from ${recipe.distill.from} but no teacher was passed (runTraining loads it).`);
  const teacher = recipe.distill && o.teacher ? { model: o.teacher, temperature: recipe.distill.temperature, weight: recipe.distill.weight } : undefined;
  const run: ActiveRun = {
    o,
    ckPath,
    model,
    opt,
    meta,
    teacher,
    progress: o.progress ?? new ProgressPrinter(),
    stepsThisCall: 0,
    wallMark: performance.now(),
    lastSave: performance.now(),
  };
  let interrupted = false;
  while (meta.position.stage < recipe.stages.length && !interrupted) interrupted = await trainStage(run);
  tickWall(run);
  return { model, meta, interrupted, checkpointPath: ckPath };
}

/** A run being trained by this call: what it trains, where it saves, and this call's counters. */
interface ActiveRun {
  o: TrainOptions;
  ckPath: string;
  model: DdiModel;
  opt: SgdMomentum;
  meta: RunMeta;
  teacher: StepOptions['teacher'];
  progress: ProgressPrinter;
  stepsThisCall: number;
  /** performance.now() of the last wall-time tick and of the last checkpoint. */
  wallMark: number;
  lastSave: number;
}

type Stage = Recipe['stages'][number];

/** Continues the run saved at ckPath; a changed command line is recorded. */
function resumeRun(o: TrainOptions, ckPath: string): { model: DdiModel; opt: SgdMomentum; meta: RunMeta } {
  const r = o.recipe;
  if (!existsSync(ckPath))
    throw new UserError(`No checkpoint to resume at ${ckPath}; run without --resume to start, or pass the run folder that holds it.`, 'bad-checkpoint');
  const { model, opt, meta } = loadRun(ckPath, r.momentum, r.weightDecay);
  checkResumableRecipe(meta.recipe, ckPath);
  if (o.clipNormOnResume) changeClipNorm(meta.recipe, meta.position, o.clipNormOnResume.norm, o.clipNormOnResume.stages);
  // A resume with the run's last arguments adds nothing to the record; a changed one does.
  const last = meta.commands?.at(-1);
  if (o.command && (!last || last.join('\0') !== o.command.join('\0'))) meta.commands = [...(meta.commands ?? []), o.command];
  return { model, opt, meta };
}

/** A new run: the model at its seed (or initialised from another), a fresh optimizer, position 0. */
function startRun(o: TrainOptions): { model: DdiModel; opt: SgdMomentum; meta: RunMeta } {
  const r = o.recipe;
  const model = buildModel(o.config, r.seed);
  if (o.init) {
    const { copied } = copyMatching(model, o.init.values);
    if (copied === 0) throw new UserError(`None of the parameters of ${o.init.from} match this architecture; initialise from a model with the same backbone.`);
  }
  const opt = new SgdMomentum({ momentum: r.momentum, weightDecay: r.weightDecay });
  const meta: RunMeta = {
    config: o.config,
    recipe: r,
    normalization: o.normalization,
    position: { stage: 0, epoch: 0, step: 0 },
    history: [],
    wallSeconds: 0,
    dataset: o.train.name,
    initFrom: o.init?.from,
    backend: o.backend,
    ...(o.command ? { commands: [o.command] } : {}),
  };
  return { model, opt, meta };
}

function tickWall(run: ActiveRun): void {
  const now = performance.now();
  run.meta.wallSeconds += (now - run.wallMark) / 1000;
  run.wallMark = now;
}

const stopRequested = (run: ActiveRun): boolean => run.o.shouldStop?.() === true || (run.o.maxSteps !== undefined && run.stepsThisCall >= run.o.maxSteps);

/** The epochs left of the current stage; true when the call stopped (checkpoint saved) before the run ended. */
async function trainStage(run: ActiveRun): Promise<boolean> {
  const { o, meta } = run;
  const pos = meta.position;
  const recipe = meta.recipe;
  const stage = recipe.stages[pos.stage]!;
  if (pos.epoch === 0 && pos.step === 0) run.opt.dispose(); // fresh momentum for every stage
  const vars = trainableByName(run.model, stage.groups);
  const steps = stepsPerEpoch(o.train.n, recipe.batchSize, stage.maxStepsPerEpoch);
  if (steps < 1) throw new UserError(`The training set (${o.train.n} images) is smaller than one batch of ${recipe.batchSize}; lower --batch-size.`);
  while (pos.epoch < stage.epochs) {
    const tally = await trainEpoch(run, stage, steps, vars);
    if (tally === 'stopped') return true;
    finishEpoch(run, stage, steps, tally);
    if (stopRequested(run) && pos.stage < recipe.stages.length) return true;
    if (pos.epoch === 0) return false; // the stage is done
  }
  return false;
}

/** What the steps of one epoch (this call's part of it) add up to. */
interface EpochTally {
  t0: number;
  firstStep: number;
  lossSum: number;
  correct: number;
  costSum: number;
  seen: number;
  lr: number;
}

/**
 * The steps left of the current epoch, with progress, a periodic checkpoint and a stop request
 * honoured after any step ('stopped': checkpoint saved mid-epoch).
 */
async function trainEpoch(run: ActiveRun, stage: Stage, steps: number, vars: Map<string, tf.Variable>): Promise<EpochTally | 'stopped'> {
  const { o, meta, progress, ckPath } = run;
  const pos = meta.position;
  const recipe = meta.recipe;
  const order = epochOrder(o.train.n, recipe.seed, pos.stage, pos.epoch);
  const tally: EpochTally = { t0: performance.now(), firstStep: pos.step, lossSum: 0, correct: 0, costSum: 0, seen: 0, lr: 0 };
  while (pos.step < steps) {
    const idx = order.subarray(pos.step * recipe.batchSize, (pos.step + 1) * recipe.batchSize);
    tally.lr = learningRate(stage.schedule, pos.epoch + pos.step / steps, stage.epochs);
    const res = trainBatch(run, stage, idx, tally.lr, vars);
    tally.lossSum += res.loss * idx.length;
    tally.correct += res.correct;
    tally.costSum += res.costFraction * idx.length;
    tally.seen += idx.length;
    pos.step++;
    run.stepsThisCall++;
    const secs = (performance.now() - tally.t0) / 1000;
    const ips = tally.seen / Math.max(1e-9, secs);
    const remainingImgs = (steps - pos.step + (stage.epochs - pos.epoch - 1) * steps) * recipe.batchSize;
    progress.update({
      stage: stage.name,
      epoch: pos.epoch + 1,
      epochs: stage.epochs,
      step: pos.step,
      steps,
      loss: tally.lossSum / tally.seen,
      acc: tally.correct / tally.seen,
      costPct: (100 * tally.costSum) / tally.seen,
      imgPerSec: ips,
      etaSeconds: remainingImgs / Math.max(1e-9, ips),
      lr: tally.lr,
    });
    // Yield to the event loop once per step: the loop is otherwise synchronous, and a
    // SIGINT handler (Ctrl-C → checkpoint) only runs when the event loop gets a turn.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (stopRequested(run) && pos.step < steps) {
      tickWall(run);
      saveRun(ckPath, run.model, run.opt, meta);
      progress.line(`checkpoint saved at ${stage.name} epoch ${pos.epoch + 1} step ${pos.step}: ${ckPath}`);
      return 'stopped';
    }
    if (o.checkpointEverySeconds !== undefined && pos.step < steps && (performance.now() - run.lastSave) / 1000 >= o.checkpointEverySeconds) {
      tickWall(run);
      saveRun(ckPath, run.model, run.opt, meta);
      run.lastSave = performance.now();
      progress.line(`checkpoint saved at ${stage.name} epoch ${pos.epoch + 1} step ${pos.step} (periodic): ${ckPath}`);
    }
  }
  return tally;
}

/** One optimizer step on the batch `idx`, refused (nothing applied) when it diverges. */
function trainBatch(run: ActiveRun, stage: Stage, idx: Uint32Array, lr: number, vars: Map<string, tf.Variable>): StepResult {
  const { o, meta, ckPath } = run;
  const pos = meta.position;
  const recipe = meta.recipe;
  const rng = new Rng(streamSeed(recipe.seed, pos.stage, pos.epoch, pos.step + 1));
  const labels = batchLabels(o.train, idx);
  const x = tf.tidy(() => normalizeImages(batchTensor(o.train, idx, recipe.augment, rng), meta.normalization));
  const res = trainStep(
    run.model,
    run.opt,
    x,
    labels,
    {
      groups: stage.groups,
      lr,
      gates: stage.gates,
      gateGradient: recipe.gateGradient,
      exitGradient: stage.gates === 'learned' ? recipe.exitGradient : undefined,
      gateInput: stage.gates === 'learned' ? recipe.gateInput : undefined,
      clipNorm: stage.clipNorm,
      teacher: run.teacher,
      loss: {
        exitWeight: recipe.exitWeight,
        cost: stage.beta > 0 ? { target: stage.target, beta: stage.beta, rewardAtFullTarget: recipe.rewardAtFullTarget } : undefined,
      },
    },
    vars,
  );
  x.dispose();
  if (res.nonFiniteGradient !== undefined) {
    // UserError: a diverging run is a property of the recipe and data, not a bug; the CLI prints the sentence without a stack.
    throw new UserError(
      `Training produced a non-finite gradient for ${res.nonFiniteGradient} at stage ${stage.name} epoch ${pos.epoch + 1} step ${pos.step + 1} (loss ${res.loss}); the step was not applied and the last checkpoint in ${ckPath} was kept. ${RETRY_ADVICE}`,
      'diverged',
    );
  }
  if (pos.step % 25 === 24) assertFiniteWeights(run.model.readValuesSync(), `stage ${stage.name} epoch ${pos.epoch + 1} step ${pos.step + 1}`, ckPath);
  if (!Number.isFinite(res.loss)) {
    throw new UserError(
      `Training diverged (loss ${res.loss}) at stage ${stage.name} epoch ${pos.epoch + 1} step ${pos.step + 1}; the last checkpoint in ${ckPath} was kept. ${RETRY_ADVICE}`,
      'diverged',
    );
  }
  return res;
}

/** Records the epoch (with the evaluation set's numbers if any), moves the position on, saves and prints it. */
function finishEpoch(run: ActiveRun, stage: Stage, steps: number, t: EpochTally): void {
  const { o, meta, progress, ckPath } = run;
  const pos = meta.position;
  const seconds = (performance.now() - t.t0) / 1000;
  const rec: EpochRecord = {
    stage: stage.name,
    epoch: pos.epoch + 1,
    steps: steps - t.firstStep,
    epochSteps: steps,
    trainLoss: t.seen ? t.lossSum / t.seen : NaN,
    trainAcc: t.seen ? t.correct / t.seen : NaN,
    trainCostPct: t.seen ? (100 * t.costSum) / t.seen : NaN,
    lr: t.lr,
    seconds,
    imgPerSec: t.seen / Math.max(1e-9, seconds),
  };
  if (o.evalSet) {
    const ev = evaluateMasked(run.model, o.evalSet, meta.normalization, { gates: stage.gates });
    rec.evalAcc = ev.accuracy;
    rec.evalExitAcc = ev.exitAccuracy;
    rec.evalCostPct = 100 * ev.meanCostFraction;
  }
  meta.history.push(rec);
  pos.epoch++;
  pos.step = 0;
  if (pos.epoch >= stage.epochs) {
    pos.stage++;
    pos.epoch = 0;
  }
  tickWall(run);
  saveRun(ckPath, run.model, run.opt, meta);
  progress.line(
    `${rec.stage} epoch ${rec.epoch}: loss ${rec.trainLoss.toFixed(4)} train acc ${(100 * rec.trainAcc).toFixed(2)}% cost ${rec.trainCostPct.toFixed(1)}%` +
      (rec.evalAcc !== undefined
        ? ` | eval acc ${(100 * rec.evalAcc).toFixed(2)}% exits ${rec.evalExitAcc!.map((a) => (100 * a).toFixed(1)).join('/')} cost ${rec.evalCostPct!.toFixed(1)}%`
        : '') +
      ` | ${rec.imgPerSec.toFixed(0)} img/s, ${rec.seconds.toFixed(0)} s`,
  );
}
