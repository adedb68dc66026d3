/**
 * Training recipes (the staged schedule of the DDI authors' sibling code, github.com/Torment123/DFS,
 * after SkipNet's CIFAR recipe, github.com/ucbdrive/skipnet; adapted to 28×28 data on a CPU):
 *   stage 1 "backbone": backbone + exits, every gate forced on (this alone gives the static model);
 *   stage 2 "gates":    gates only, cost target 100 % (the sign-switching term then rewards
 *                       executing more, so the gates start out "all on");
 *   stage 3 "joint":    backbone + gates + exits at the target computation percentage.
 * Defaults are documented in docs/models.md; every field can be overridden from the CLI.
 */
import { UserError } from '../../util/errors';
import type { AugmentConfig } from './batches';
import type { ScheduleConfig } from './schedule';
import type { TrainGroup } from './step';
import type { GateGradient } from '../ste';
import type { ExitGradient, GateInput } from '../model';
import { checkDistill, type DistillConfig } from './distill';

export type StageName = 'backbone' | 'gates' | 'joint';

export interface StageSpec {
  name: StageName;
  epochs: number;
  /** Cap on steps per epoch (short stages, smoke runs); undefined = the whole training set. */
  maxStepsPerEpoch?: number;
  groups: TrainGroup[];
  gates: 'all-on' | 'learned';
  /** Target computation as a fraction of the full cost (1 = 100 %). */
  target: number;
  /** β of the sign-switching cost term (0 = off). */
  beta: number;
  schedule: ScheduleConfig;
  /** Gradient clipping for this stage's steps: global L2 norm cap (step.ts); absent = none. */
  clipNorm?: number;
}

export interface Recipe {
  seed: number;
  batchSize: number;
  augment: AugmentConfig;
  momentum: number;
  weightDecay: number;
  /** Weight of each exit's cross-entropy relative to the final classifier's. */
  exitWeight: number;
  /** Gate estimator (ste.ts). */
  gateGradient: GateGradient;
  /** Cost-term reward at a 100 % target when everything runs (loss.ts); false since the reference rule saturated the gates. */
  rewardAtFullTarget: boolean;
  /**
   * What the exits' losses train in the learned-gate stages (model.ts ExitGradient); the backbone
   * stage always trains the backbone through the exits. Absent = 'backbone', the reference.
   */
  exitGradient?: ExitGradient;
  /** Whether the gates' gradient reaches the backbone in the learned-gate stages (model.ts GateInput). Absent = 'backbone', the reference. */
  gateInput?: GateInput;
  /** Knowledge distillation in every stage (distill.ts); absent = labels only. */
  distill?: DistillConfig;
  stages: StageSpec[];
}

export const DEFAULTS = {
  seed: 1,
  batchSize: 128,
  augment: { cropPad: 2, flip: true },
  momentum: 0.9,
  weightDecay: 5e-4,
  exitWeight: 1,
  backboneEpochs: 12,
  backboneLr: 0.1,
  gateEpochs: 1,
  gateLr: 0.01,
  jointEpochs: 4,
  jointLr: 0.01,
  beta: 5,
  gateGradient: 'logit-bounded' as GateGradient,
  rewardAtFullTarget: false,
};

export interface RecipeOptions {
  /** Which stages to run: "all" for a gated model from scratch, or a comma list. */
  stages?: StageName[];
  target?: number;
  seed?: number;
  batchSize?: number;
  backboneEpochs?: number;
  gateEpochs?: number;
  jointEpochs?: number;
  lr?: number;
  beta?: number;
  exitWeight?: number;
  schedule?: 'cosine' | 'step';
  maxStepsPerEpoch?: number;
  gateGradient?: GateGradient;
  exitGradient?: ExitGradient;
  gateInput?: GateInput;
  clipNorm?: number;
  /** Stages that clipNorm applies to; absent = all. */
  clipStages?: StageName[];
  augment?: boolean;
  distill?: DistillConfig;
}

function schedule(kind: 'cosine' | 'step' | 'constant', lr: number, epochs: number, warmup: number): ScheduleConfig {
  return { kind, lr, warmupEpochs: warmup, milestones: [Math.round(epochs * 0.5), Math.round(epochs * 0.75)], gamma: 0.1, minFactor: 0.0 };
}

function checkClipNorm(n: number): void {
  if (!(n > 0)) throw new UserError(`Gradient clip norm ${n} is not positive; pass a positive number (e.g. 5) or leave it out.`);
}

export function buildRecipe(o: RecipeOptions = {}): Recipe {
  const target = o.target ?? 1;
  if (!(target > 0 && target <= 1)) throw new UserError(`Target ${target} is outside (0, 1]; give the computation percentage as 1–100.`);
  if (o.clipNorm !== undefined) checkClipNorm(o.clipNorm);
  if (o.distill) checkDistill(o.distill);
  if (o.exitWeight !== undefined && !(o.exitWeight >= 0))
    throw new UserError(`Exit loss weight ${o.exitWeight} is negative; pass 0 (exits not trained) or a positive weight.`);
  const stages = o.stages ?? ['backbone'];
  const missing = (o.clipStages ?? []).filter((c) => !stages.includes(c));
  if (missing.length)
    throw new UserError(
      `Clipping is asked for stage ${missing.join(', ')}, which this run does not have (its stages: ${stages.join(', ')}); name stages of the run in --clip-stages.`,
    );
  const kind = o.schedule ?? 'cosine';
  const spec: StageSpec[] = stages.map((name) => {
    if (name === 'backbone') {
      const epochs = o.backboneEpochs ?? DEFAULTS.backboneEpochs;
      return {
        name,
        epochs,
        groups: ['backbone', 'exits'],
        gates: 'all-on',
        target: 1,
        beta: 0,
        schedule: schedule(kind, o.lr ?? DEFAULTS.backboneLr, epochs, epochs >= 4 ? 1 : 0),
      };
    }
    if (name === 'gates') {
      const epochs = o.gateEpochs ?? DEFAULTS.gateEpochs;
      return {
        name,
        epochs,
        groups: ['gates'],
        gates: 'learned',
        target: 1,
        beta: o.beta ?? DEFAULTS.beta,
        schedule: schedule('constant', DEFAULTS.gateLr, epochs, 0),
      };
    }
    const epochs = o.jointEpochs ?? DEFAULTS.jointEpochs;
    return {
      name,
      epochs,
      groups: ['backbone', 'gates', 'exits'],
      gates: 'learned',
      target,
      beta: o.beta ?? DEFAULTS.beta,
      schedule: schedule(kind, o.lr && stages.length === 1 ? o.lr : DEFAULTS.jointLr, epochs, 0),
    };
  });
  for (const s of spec) {
    if (o.maxStepsPerEpoch !== undefined) s.maxStepsPerEpoch = o.maxStepsPerEpoch;
    if (o.clipNorm !== undefined && (o.clipStages ?? stages).includes(s.name)) s.clipNorm = o.clipNorm;
  }
  return {
    seed: o.seed ?? DEFAULTS.seed,
    batchSize: o.batchSize ?? DEFAULTS.batchSize,
    augment: o.augment === false ? { cropPad: 0, flip: false } : DEFAULTS.augment,
    momentum: DEFAULTS.momentum,
    weightDecay: DEFAULTS.weightDecay,
    exitWeight: o.exitWeight ?? DEFAULTS.exitWeight,
    gateGradient: o.gateGradient ?? DEFAULTS.gateGradient,
    rewardAtFullTarget: DEFAULTS.rewardAtFullTarget,
    ...(o.exitGradient && o.exitGradient !== 'backbone' ? { exitGradient: o.exitGradient } : {}),
    ...(o.gateInput && o.gateInput !== 'backbone' ? { gateInput: o.gateInput } : {}),
    ...(o.distill ? { distill: o.distill } : {}),
    stages: spec,
  };
}

export function parseStages(s: string): StageName[] {
  if (s === 'all') return ['backbone', 'gates', 'joint'];
  const out = s.split(',').map((x) => x.trim());
  for (const x of out) {
    if (x !== 'backbone' && x !== 'gates' && x !== 'joint') throw new UserError(`Unknown stage "${x}"; use backbone, gates, joint (comma-separated) or all.`);
  }
  return out as StageName[];
}

type RunPosition = { stage: number; epoch: number; step: number };

/**
 * A checkpoint's recipe from before runs recorded their gate training (none ships) cannot resume
 * exactly: which estimator its gated steps used is unknown. Refused, so nothing trains on a guess.
 */
export function checkResumableRecipe(recipe: Partial<Pick<Recipe, 'gateGradient' | 'rewardAtFullTarget'>>, checkpoint: string): void {
  if (recipe.gateGradient === undefined || recipe.rewardAtFullTarget === undefined) {
    throw new UserError(
      `The checkpoint ${checkpoint} does not record its gate training, so it cannot resume exactly; start a new run from its weights with --init ${checkpoint}.`,
      'bad-checkpoint',
    );
  }
}

/** Whether the stage at `index` has not run any step at `position` (it may still change). */
function stageAhead(index: number, position: RunPosition): boolean {
  return index > position.stage || (index === position.stage && position.epoch === 0 && position.step === 0);
}

/**
 * `train --resume --clip-norm N`: clipping is a property of each stage, so a resumed run may set it
 * for the stages that have not run a step yet; the stages already trained keep their record (the
 * DenseNet's joint stage got its clipping this way, docs/lab/models-log.md). Returns the stages changed.
 */
export function changeClipNorm(recipe: Recipe, position: RunPosition, clipNorm: number, only?: StageName[]): StageName[] {
  checkClipNorm(clipNorm);
  const ahead = recipe.stages.filter((s, i) => stageAhead(i, position) && (!only || only.includes(s.name)));
  if (ahead.length === 0) {
    throw new UserError(
      `Every stage of this run${only ? ` among ${only.join(', ')}` : ''} has started, and clipping cannot change in the middle of a stage; resume without --clip-norm, or start a new run (--init from this checkpoint) with it.`,
    );
  }
  for (const s of ahead) s.clipNorm = clipNorm;
  return ahead.map((s) => s.name);
}
