/**
 * `ddi-profiler train`: trains a (gated) DDI model with the staged recipe of main/ddi/train.
 * Defaults and the zoo's exact commands are in docs/models.md.
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { densenetConfig, resnetConfig, validateConfig, type ModelConfig } from '../../ddi/config';
import { initBackend } from '../../ddi/backend';
import { buildRecipe, DEFAULTS, parseStages } from '../../ddi/train/recipe';
import { DISTILL_DEFAULTS, type DistillConfig } from '../../ddi/train/distill';
import { exportCheckpoint, runTraining } from '../../ddi/train/run';
import { prepareTraining } from '../../ddi/train/setup';
import { UserError } from '../../util/errors';

interface TrainFlags {
  name: string;
  arch: string;
  config?: string;
  blocks?: string;
  widths?: string;
  growth?: string;
  gates: string;
  skipDownsampling?: string;
  groupSize?: string;
  exits?: string;
  target: string;
  stages?: string;
  init?: string;
  epochs?: string;
  gateEpochs?: string;
  jointEpochs?: string;
  maxStepsPerEpoch?: string;
  batchSize?: string;
  lr?: string;
  beta?: string;
  exitWeight?: string;
  gateGradient?: string;
  exitGradient?: string;
  gateInput?: string;
  clipNorm?: string;
  clipStages?: string;
  distillFrom?: string;
  distillWeight?: string;
  distillTemperature?: string;
  schedule: string;
  seed?: string;
  augment: boolean;
  dataset: string;
  evalDataset?: string;
  runDir?: string;
  out?: string;
  resume?: boolean;
  backend: string;
  finalEval: boolean;
  description?: string;
  export?: boolean;
  checkpointMinutes: string;
}

function ints(s: string | undefined, what: string): number[] | undefined {
  if (s === undefined) return undefined;
  const v = s.split(',').map((x) => Number(x.trim()));
  if (v.some((x) => !Number.isInteger(x) || x < 0)) throw new UserError(`--${what} "${s}" must be comma-separated non-negative integers, e.g. 2,2,2.`);
  return v;
}

function num(s: string | undefined, what: string): number | undefined {
  if (s === undefined) return undefined;
  const v = Number(s);
  if (!Number.isFinite(v)) throw new UserError(`--${what} "${s}" is not a number; pass e.g. --${what} 0.1.`);
  return v;
}

/** The `train ...` arguments of this process, `--resume` left out (the run's record of how it was made). */
export function invocation(argv: readonly string[]): string[] {
  const at = argv.indexOf('train');
  return argv.slice(at < 0 ? 2 : at).filter((a) => a !== '--resume');
}

/**
 * The distillation settings from the flags (exported for tests); undefined without --distill-from.
 * On --resume they may only repeat the checkpoint's distillation (runTraining checks), so the zoo
 * can resume a run with the command that started it.
 */
export function distillFromFlags(f: Pick<TrainFlags, 'distillFrom' | 'distillWeight' | 'distillTemperature'>): DistillConfig | undefined {
  if (!f.distillFrom) {
    if (f.distillWeight !== undefined || f.distillTemperature !== undefined)
      throw new UserError('--distill-weight and --distill-temperature need --distill-from DIR, the teacher model.');
    return undefined;
  }
  return {
    from: f.distillFrom,
    weight: num(f.distillWeight, 'distill-weight') ?? DISTILL_DEFAULTS.weight,
    temperature: num(f.distillTemperature, 'distill-temperature') ?? DISTILL_DEFAULTS.temperature,
  };
}

/** Builds the model config from the flags (exported for tests). */
export function configFromFlags(
  f: Pick<TrainFlags, 'arch' | 'config' | 'blocks' | 'widths' | 'growth' | 'gates' | 'skipDownsampling' | 'groupSize' | 'exits' | 'name'>,
): ModelConfig {
  if (f.config) {
    if (f.skipDownsampling !== undefined)
      throw new UserError('--skip-downsampling does not combine with --config; set gates.skipDownsampling in the config file.');
    let c: ModelConfig;
    try {
      c = JSON.parse(readFileSync(f.config, 'utf8')) as ModelConfig;
    } catch (e) {
      throw new UserError(`Cannot read the config ${f.config} (${(e as Error).message}); pass a JSON model config.`);
    }
    validateConfig(c);
    return c;
  }
  const gateKinds: Record<string, { layer: boolean; channel: boolean }> = {
    none: { layer: false, channel: false },
    layer: { layer: true, channel: false },
    channel: { layer: false, channel: true },
    both: { layer: true, channel: true },
  };
  const g = gateKinds[f.gates];
  if (!g) throw new UserError(`--gates "${f.gates}" is not one of none, layer, channel, both.`);
  const groupSize = num(f.groupSize, 'group-size');
  const exitList = f.exits === 'none' ? [] : ints(f.exits, 'exits');
  const exits = exitList ? { afterUnit: exitList } : undefined;
  const skip = f.skipDownsampling;
  if (skip !== undefined && skip !== 'yes' && skip !== 'no') throw new UserError(`--skip-downsampling "${skip}" is not yes or no.`);
  if (skip !== undefined && !g.layer) throw new UserError('--skip-downsampling only applies to layer gates; add --gates layer or both, or drop it.');
  const gates = { ...g, ...(groupSize ? { groupSize } : {}), ...(skip ? { skipDownsampling: skip === 'yes' } : {}) };
  const m = /^resnet(\d+)$/.exec(f.arch);
  if (m) {
    const blocks = ints(f.blocks, 'blocks') as [number, number, number] | undefined;
    const widths = ints(f.widths, 'widths') as [number, number, number] | undefined;
    return resnetConfig({ depth: blocks ? undefined : Number(m[1]), blocksPerStage: blocks, widths, gates, exits, name: f.name });
  }
  if (f.arch === 'densenet') {
    if (g.layer) throw new UserError('DenseNet has no layer gates; use --gates channel or none.');
    return densenetConfig({ blockConfig: ints(f.blocks, 'blocks'), growthRate: num(f.growth, 'growth'), gates, exits, name: f.name });
  }
  throw new UserError(`--arch "${f.arch}" is not resnetN (6n+2, e.g. resnet14, resnet20) or densenet; or pass --config FILE.`);
}

export function registerTrainCommand(program: Command): void {
  program
    .command('train')
    .description('Train a DDI model (stage 1 backbone, stage 2 gates at 100 %, stage 3 joint at the target)')
    .requiredOption('--name <name>', 'model name (also the default run folder and output folder name)')
    .option('--arch <arch>', 'resnetN (6n+2) or densenet', 'resnet20')
    .option('--config <file>', 'JSON model config instead of --arch and the shape flags')
    .option('--blocks <list>', 'blocks per stage (ResNet, e.g. 2,2,2) or dense layers per block (DenseNet)')
    .option('--widths <list>', 'ResNet stage widths, e.g. 16,32,64')
    .option('--growth <k>', 'DenseNet growth rate')
    .option('--gates <kind>', 'none | layer | channel | both', 'none')
    .option('--skip-downsampling <yes|no>', "whether layer gates may skip a stage's downsampling block (ResNet; default yes)")
    .option('--group-size <n>', 'channels per channel-gate bit')
    .option('--exits <list>', 'units after which exits sit (comma list), or none', undefined)
    .option('--target <percent>', 'target computation percentage for stage 3', '100')
    .option('--stages <list>', 'backbone,gates,joint or all (default: backbone for --gates none, else gates,joint with --init or all)')
    .option('--init <dir>', 'start from this model folder or checkpoint (matching parameters are copied)')
    .option('--epochs <n>', `stage-1 epochs (default ${DEFAULTS.backboneEpochs})`)
    .option('--gate-epochs <n>', `stage-2 epochs (default ${DEFAULTS.gateEpochs})`)
    .option('--joint-epochs <n>', `stage-3 epochs (default ${DEFAULTS.jointEpochs})`)
    .option('--max-steps-per-epoch <n>', 'cap steps per epoch (quick runs)')
    .option('--batch-size <n>', `batch size (default ${DEFAULTS.batchSize})`)
    .option('--lr <lr>', `peak learning rate (default ${DEFAULTS.backboneLr} for stage 1, ${DEFAULTS.jointLr} for stage 3)`)
    .option('--beta <beta>', `weight of the sign-switching cost term (default ${DEFAULTS.beta})`)
    .option(
      '--distill-from <dir>',
      "also learn from this trained model's softened outputs (knowledge distillation; e.g. the static model a gated one starts from)",
    )
    .option('--seed <n>', `random seed (default ${DEFAULTS.seed})`)
    .option('--no-augment', 'disable random crop and flip')
    .option('--dataset <spec>', 'fashion-mnist | IDX folder | folder of class folders', 'fashion-mnist')
    .option('--eval-dataset <spec>', 'per-epoch evaluation set: sample | DIR | none (default: sample for fashion-mnist, else none)')
    .option('--run-dir <dir>', 'checkpoint folder (default .cache/runs/<name>)')
    .option('--out <dir>', 'save the finished model here (default data/models/<name> is NOT assumed; pass it)')
    .option('--resume', 'continue the run in --run-dir from its checkpoint')
    .option('--checkpoint-minutes <m>', 'also checkpoint mid-epoch this often (0 = only at epoch ends)', '10')
    .option('--backend <name>', 'wasm | cpu | tensorflow', 'wasm')
    .option('--no-final-eval', 'skip the evaluation on the full test split at the end')
    .option('--description <text>', 'one line for the model card')
    .option('--export', "don't train: save the run's latest checkpoint as a model folder (--out), marked in progress if unfinished")
    // The switches of the recipe experiments (docs/lab/models-log.md): listed apart in --help so a
    // user training their own model sees what they need first; the shipped models use their defaults
    // except where their card says (DenseNet: --clip-norm 2 --clip-stages joint).
    .optionsGroup('Research options (recipe experiments; the defaults are the shipped recipe):')
    .option('--exit-weight <w>', `weight of each exit's cross-entropy relative to the final classifier's (default ${DEFAULTS.exitWeight})`)
    .option('--distill-weight <w>', `weight of the distillation term (default ${DISTILL_DEFAULTS.weight}; needs --distill-from)`)
    .option('--distill-temperature <t>', `softening temperature (default ${DISTILL_DEFAULTS.temperature}; needs --distill-from)`)
    .option(
      '--clip-norm <n>',
      "clip every step's gradients to this global L2 norm; with --resume it clips the stages that have not started (default: no clipping)",
    )
    .option('--clip-stages <list>', 'stages that --clip-norm applies to, e.g. joint (default: all)')
    .option('--schedule <kind>', 'cosine | step', 'cosine')
    .option(
      '--gate-gradient <form>',
      `straight-through estimator of the gates: logit-bounded (σ'(0) slope, never vanishes, stops pushing a gate past |logit| 6), logit (unbounded) or sigmoid (reference form) (default ${DEFAULTS.gateGradient})`,
    )
    .option(
      '--exit-gradient <what>',
      "what the exits' losses train in the gated stages: backbone (reference: heads, backbone and gates) or heads (exit heads only)",
      'backbone',
    )
    .option(
      '--gate-input <what>',
      "whether the gates' losses also train the features the gates read: backbone (reference) or detached (gates only)",
      'backbone',
    )
    .action(async (f: TrainFlags) => {
      const runDir = f.runDir ?? join('.cache', 'runs', f.name);
      if (f.export) {
        if (!f.out) throw new UserError('--export needs --out DIR for the model folder.');
        const info = await initBackend(f.backend as 'wasm' | 'cpu' | 'tensorflow');
        prepareTraining();
        process.stderr.write(`backend ${info.name}; exporting ${runDir}\n`);
        await exportCheckpoint(runDir, { name: f.name, out: f.out, dataset: f.dataset, finalEval: f.finalEval, description: f.description });
        return;
      }
      const config = configFromFlags(f);
      const gated = config.gates.layer || config.gates.channel;
      const stages = f.stages ? parseStages(f.stages) : gated ? (f.init ? parseStages('gates,joint') : parseStages('all')) : parseStages('backbone');
      const target = (num(f.target, 'target') ?? 100) / 100;
      const schedule = f.schedule === 'step' ? 'step' : f.schedule === 'cosine' ? 'cosine' : undefined;
      if (!schedule) throw new UserError(`--schedule "${f.schedule}" is not cosine or step.`);
      const gateGradient = f.gateGradient ?? DEFAULTS.gateGradient;
      if (gateGradient !== 'logit-bounded' && gateGradient !== 'logit' && gateGradient !== 'sigmoid') {
        throw new UserError(`--gate-gradient "${f.gateGradient}" is not one of logit-bounded, logit, sigmoid; pass one of those.`);
      }
      if (f.exitGradient !== 'backbone' && f.exitGradient !== 'heads') throw new UserError(`--exit-gradient "${f.exitGradient}" is not backbone or heads.`);
      if (f.gateInput !== 'backbone' && f.gateInput !== 'detached')
        throw new UserError(`--gate-input "${f.gateInput}" is not backbone or detached; pass one of those.`);
      const clipNorm = num(f.clipNorm, 'clip-norm');
      const clipStages = f.clipStages ? parseStages(f.clipStages) : undefined;
      if (clipStages && clipNorm === undefined) throw new UserError('--clip-stages needs --clip-norm N, the norm to clip those stages to.');
      const distill = distillFromFlags(f);
      const recipe = buildRecipe({
        stages,
        target,
        seed: num(f.seed, 'seed'),
        batchSize: num(f.batchSize, 'batch-size'),
        backboneEpochs: num(f.epochs, 'epochs'),
        gateEpochs: num(f.gateEpochs, 'gate-epochs'),
        jointEpochs: num(f.jointEpochs, 'joint-epochs'),
        lr: num(f.lr, 'lr'),
        beta: num(f.beta, 'beta'),
        exitWeight: num(f.exitWeight, 'exit-weight'),
        gateGradient,
        exitGradient: f.exitGradient,
        gateInput: f.gateInput,
        clipNorm,
        clipStages,
        distill,
        schedule,
        maxStepsPerEpoch: num(f.maxStepsPerEpoch, 'max-steps-per-epoch'),
        augment: f.augment,
      });
      const checkpointMinutes = num(f.checkpointMinutes, 'checkpoint-minutes')!;
      if (checkpointMinutes < 0)
        throw new UserError(`--checkpoint-minutes ${f.checkpointMinutes} is negative; pass 0 to checkpoint only at epoch ends, or a number of minutes.`);
      const info = await initBackend(f.backend as 'wasm' | 'cpu' | 'tensorflow');
      prepareTraining();
      process.stderr.write(`backend ${info.name}; model ${config.name}; stages ${stages.join(' → ')}; target ${(100 * target).toFixed(0)} %\n`);
      await runTraining({
        name: f.name,
        config,
        recipe,
        dataset: f.dataset,
        evalDataset: f.evalDataset ?? (f.dataset === 'fashion-mnist' ? 'sample' : 'none'),
        runDir,
        resume: f.resume === true,
        init: f.init,
        // On resume the checkpoint's recipe rules; clipping may still be added to the stages ahead.
        clipNormOnResume: f.resume === true && clipNorm !== undefined ? { norm: clipNorm, stages: clipStages } : undefined,
        out: f.out,
        description: f.description,
        backend: info.name,
        finalEval: f.finalEval,
        checkpointEverySeconds: checkpointMinutes > 0 ? checkpointMinutes * 60 : undefined,
        command: invocation(process.argv),
      });
    });
}
