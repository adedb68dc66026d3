/**
 * `ddi-profiler eval`: accuracy and cost of a model on a data set under an inference mode, with
 * real skipping and hard-budget halting (the engine's runtime), plus every exit's accuracy on every
 * image, measured on the same runtime. `--sweep` evaluates a list of budgets and prints the
 * accuracy-vs-cost curve.
 */
import type { Command } from 'commander';
import { loadDataset, type Split } from '../../ddi/data/dataset';
import { DdiEngine } from '../../ddi/engine';
import { BACKEND_OPTION_HELP, parseBackendName, type BackendName } from '../../ddi/backend';
import { datasetImages } from '../../ddi/images';
import { parseBudget } from '../../domain/budget';
import { budgetedMode, defaultMode, takesBudget } from '../../domain/modes';
import type { Budget, InferenceMode } from '../../ddi/types';
import { INFERENCE_MODES } from '../../ddi/types';
import { ExitTally, exitPassMode, measuresEveryExit } from '../../ddi/exit-accuracy';
import { formatReport, summarizeRecords, type EvalReport } from '../../ddi/train/evalReport';
import { UserError } from '../../util/errors';
import { dbPathFrom, progressBar, progressLine } from '../context';
import { inferInSlices } from '../infer-progress';
import { resolveModelDir } from '../../ddi/model-resolver';
import { calibratedTablesDir, loadCalibratedTable } from '../../profile/calibrate/store';
import { checkTableForModel } from '../../profile/calibrate/use';

interface EvalFlags {
  model: string;
  dataset: string;
  split: string;
  mode?: string;
  budget?: string;
  sweep?: string;
  json?: boolean;
  perImage?: boolean;
  batchSize?: string;
  limit?: string;
  backend?: string;
  costTable?: string;
}

/** Budgets for --sweep: explicit values ("10MMAC,15MMAC") or percentages of the static MACs ("30%,50%"). */
export function sweepBudgets(spec: string, staticMacs: number, minimum: number): Budget[] {
  const items = spec === 'auto' ? ['20%', '30%', '40%', '50%', '60%', '70%', '80%', '90%', '100%'] : spec.split(',').map((s) => s.trim());
  const out: Budget[] = [];
  for (const it of items) {
    if (it.endsWith('%')) {
      const f = Number(it.slice(0, -1));
      if (!(f > 0)) throw new UserError(`--sweep entry "${it}" is not a positive percentage; write e.g. 30%.`);
      const value = (f / 100) * staticMacs;
      if (value < minimum) continue; // below the first exit: infeasible, skipped (reported by the curve's start)
      out.push({ kind: 'macs', value, text: `${it} (${(value / 1e6).toFixed(2)}MMAC)` });
    } else out.push(parseBudget(it));
  }
  if (out.length === 0)
    throw new UserError(`No budget in --sweep "${spec}" is at or above the minimum of ${(minimum / 1e6).toFixed(2)} MMAC; raise the budgets.`);
  return out;
}

/**
 * Images per engine call when --batch-size is not given. ONNX Runtime's cost per image hardly falls
 * with the batch (a unit's fixed cost per session run is ≈ 10–20 µs), while a larger batch widens the
 * union of kept channels its gated units run with a mask, so 8 is faster than 32 on every zoo model
 * but one; tfjs (wasm) is fastest at 32 on the static network and level elsewhere (docs/benchmarks.md,
 * bench:eval). The numbers do not depend on it: every row is computed alone.
 */
export function defaultEvalBatch(backend: BackendName): number {
  return backend === 'ort' ? 8 : 32;
}

/** --batch-size: a whole number of images from 1 up, or the backend's default when not given. */
export function parseBatchSize(raw: string | undefined): number | null {
  if (raw === undefined) return null;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1) throw new UserError(`--batch-size "${raw}" is not a whole number of images; give one from 1 up, e.g. --batch-size 8.`);
  return v;
}

export function registerEvalCommand(program: Command): void {
  program
    .command('eval')
    .description('Evaluate a model: top-1, MACs distribution, per-exit accuracy, skip rates, channels kept')
    .requiredOption('--model <name|dir>', 'an installed model by name (data/models, DDI_MODELS_DIR) or a model folder (model.json + weights.bin)')
    .option('--dataset <spec>', 'sample | fashion-mnist | IDX folder | folder of class folders', 'sample')
    .option('--split <split>', 'test | train', 'test')
    .option('--mode <mode>', `one of ${INFERENCE_MODES.join(', ')} (default: iadi for gated models, static otherwise; ddi/radi with --budget)`)
    .option('--budget <budget>', 'hard per-image budget for radi/ddi, e.g. 12MMAC')
    .option('--sweep <list>', 'budgets to sweep (e.g. 8MMAC,12MMAC or 30%,50%,70% of static, or auto); prints the accuracy-vs-cost curve')
    .option('--json', 'print JSON instead of text')
    .option('--batch-size <n>', 'images per engine call (default 8 on ort, 32 on the tfjs backends)')
    .option('--limit <n>', 'evaluate only the first N images')
    .option('--backend <name>', BACKEND_OPTION_HELP)
    .option('--cost-table <name>', 'calibrated cost table (ddi-profiler calibrate) for energy/latency budgets and predictions')
    // scripts/eval-zoo.mjs pairs models image by image with it (docs/models.md); listed apart as research.
    .optionsGroup('Research options:')
    .option('--per-image', 'with --json: add which images were answered correctly (base64 bitset "correctBits"), for paired comparisons')
    .action(async (f: EvalFlags, cmd: Command) => {
      if (f.split !== 'test' && f.split !== 'train') throw new UserError(`--split "${f.split}" is not test or train.`);
      if (f.perImage && !f.json) throw new UserError('--per-image adds a field to the JSON report only; add --json.');
      const batchSize = parseBatchSize(f.batchSize);
      const modelDir = resolveModelDir(f.model);
      const calibrated = f.costTable ? loadCalibratedTable(calibratedTablesDir(dbPathFrom(cmd)), f.costTable) : null;
      const engine = await DdiEngine.create({ backend: parseBackendName(f.backend) });
      // A terminal sees how far the (minutes-long on the 10k test set) evaluation is; a pipe sees nothing.
      const progress = progressLine();
      for (const note of engine.backendInfo().notes) process.stderr.write(`${note}\n`);
      try {
        let info = engine.loadModel(modelDir);
        if (calibrated) {
          checkTableForModel(calibrated, modelDir, info.name, engine.backendInfo());
          info = engine.useCostTables({ energy: calibrated.energy, latency: calibrated.latency });
        }
        const model = engine.model;
        const gated = model.config.gates.layer || model.config.gates.channel;
        const ds = loadDataset(f.dataset, f.split as Split);
        const limit = f.limit ? Number(f.limit) : ds.n;
        if (!(limit > 0)) throw new UserError(`--limit "${f.limit}" must be a positive number.`);
        const n = Math.min(ds.n, limit);
        const indices = Array.from({ length: n }, (_, i) => i);
        const images = datasetImages(ds, indices, model.config.input);
        const labels = Array.from(ds.labels.subarray(0, n));
        const bs = batchSize ?? defaultEvalBatch(engine.backendInfo().name);
        // Each phase (a mode, a sweep budget, the masked exit pass) times its own rate from when it starts.
        const phase = (what: string) => {
          const t0 = performance.now();
          return (done: number, total: number) => progress.update(progressBar(what, done, total, (performance.now() - t0) / 1e3));
        };
        // A tally, when given, also takes every exit's answer on every image from the same pass.
        const run = (mode: InferenceMode, budget: Budget | null, what = `eval ${mode}`, tally?: ExitTally): EvalReport => {
          if (budget) engine.checkBudget(mode, budget);
          const show = phase(what);
          const recs = inferInSlices(
            engine,
            images,
            n,
            { mode, budget, batchSize: bs, labels, datasetIndices: indices, everyExit: tally?.onExit },
            (slice, done) => {
              tally?.addRecords(slice, done - slice.length);
              show(done, n);
            },
          );
          return summarizeRecords(recs, labels, {
            model: info.name,
            dataset: ds.name,
            split: f.split,
            numLayers: model.layout.numLayers,
            perImage: f.perImage,
          });
        };
        if (f.sweep) {
          const mode = (f.mode ?? budgetedMode(gated)) as InferenceMode;
          if (!takesBudget(mode)) throw new UserError(`--sweep needs a budgeted mode (radi or ddi), not ${mode}.`);
          const minimum = engine.minimumBudget('macs', mode);
          const budgets = sweepBudgets(f.sweep, info.backboneMacs, minimum);
          const reports = budgets.map((b, i) => run(mode, b, `eval ${mode} budget ${i + 1}/${budgets.length}`));
          progress.done();
          if (f.json) process.stdout.write(`${JSON.stringify({ model: info.name, mode, curve: reports }, null, 2)}\n`);
          else {
            process.stdout.write(
              `${info.name} on ${ds.name}, mode ${mode}: accuracy vs cost (budgets below the ${(minimum / 1e6).toFixed(2)} MMAC minimum are infeasible and left out)\n`,
            );
            process.stdout.write(
              `${'budget'.padEnd(26)} ${'top-1'.padStart(8)} ${'mean MACs'.padStart(11)} ${'% static'.padStart(9)} ${'within'.padStart(8)}\n`,
            );
            for (const r of reports) {
              process.stdout.write(
                `${(r.budget ?? '').padEnd(26)} ${(100 * r.accuracy).toFixed(2).padStart(7)}% ${(r.macs.mean / 1e6).toFixed(2).padStart(9)} M ${r.macs.meanPct.toFixed(1).padStart(8)}% ${(100 * (r.withinBudget ?? 1)).toFixed(1).padStart(7)}%\n`,
              );
            }
          }
          return;
        }
        const budget = f.budget ? parseBudget(f.budget) : null;
        const mode = (f.mode ?? defaultMode(gated, budget !== null)) as InferenceMode;
        if (!INFERENCE_MODES.includes(mode)) throw new UserError(`--mode "${f.mode}" is not one of ${INFERENCE_MODES.join(', ')}.`);
        // Every exit on every image, on the engine's runtime: from the mode's own pass when it has no
        // budget, else from a pass of its unbudgeted form (exit-accuracy.ts).
        const tally = new ExitTally(labels, model.layout.exits.length, model.config.numClasses);
        const report = run(mode, budget, `eval ${mode}`, measuresEveryExit(mode) ? tally : undefined);
        if (!measuresEveryExit(mode)) run(exitPassMode(mode), null, 'exit accuracy', tally);
        progress.done();
        const every = tally.result();
        report.exitAccuracy = [...every.exitAccuracy.map((a, i) => ({ exit: `exit${i}`, accuracy: a })), { exit: 'classifier', accuracy: every.accuracy }];
        process.stdout.write(f.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
      } finally {
        progress.done();
        engine.dispose();
      }
    });
}
