/**
 * `ddi-profiler infer`: runs a DDI model on one image or a dataset in a chosen mode and prints each
 * prediction with its per-inference record (`--json`: one JSON object per line).
 */
import type { Command } from 'commander';
import { DdiEngine } from '../../ddi/engine';
import { parseBudget } from '../../domain/budget';
import { takesBudget } from '../../domain/modes';
import { formatCost } from '../../ddi/cost';
import { INFERENCE_MODES, type InferenceMode, type InferenceRecord } from '../../ddi/types';
import { loadPngImage, datasetImages } from '../../ddi/images';
import { loadDataset } from '../../ddi/data/dataset';
import { resolveModelDir } from '../../ddi/model-resolver';
import { BACKEND_OPTION_HELP, parseBackendName } from '../../ddi/backend';
import { UserError } from '../../util/errors';
import { dbPathFrom, progressBar, progressLine } from '../context';
import { inferInSlices } from '../infer-progress';
import { calibratedTablesDir, loadCalibratedTable } from '../../profile/calibrate/store';
import { checkTableForModel } from '../../profile/calibrate/use';

interface InferFlags {
  model: string;
  input?: string;
  dataset?: string;
  limit?: string;
  offset?: string;
  mode: string;
  budget?: string;
  json?: boolean;
  backend?: string;
  batchSize?: string;
  costTable?: string;
}

function posInt(s: string | undefined, what: string, dflt: number): number {
  if (s === undefined) return dflt;
  const v = Number(s);
  if (!Number.isInteger(v) || v < 0) throw new UserError(`--${what} "${s}" must be a non-negative integer.`);
  return v;
}

function describe(r: InferenceRecord, classes?: string[]): string {
  const cls = classes?.[r.predictedClass] ?? String(r.predictedClass);
  const label = r.label === undefined ? '' : ` label=${classes?.[r.label] ?? r.label}${r.label === r.predictedClass ? ' ✓' : ' ✗'}`;
  const idx = r.datasetIndex ?? r.sampleIndex;
  const kept = r.channelsKept.length ? ` channels=${r.channelsKept.reduce((s, c) => s + c.kept, 0)}/${r.channelsKept.reduce((s, c) => s + c.total, 0)}` : '';
  const lat = r.predictedLatencyS === null ? '' : ` pred.latency=${formatCost(r.predictedLatencyS, 'latency')}`;
  const en = r.predictedEnergyJ === null ? '' : ` pred.energy=${formatCost(r.predictedEnergyJ, 'energy')}`;
  const wall = ((r.endNs - r.startNs) / 1e6).toFixed(3);
  return (
    `#${idx} ${cls} (${(r.confidence * 100).toFixed(1)}%)${label} exit=${r.exitId}${r.halted ? ' (halted)' : ''}` +
    ` blocks=${r.blocksExecuted.length}/${r.blocksExecuted.length + r.blocksSkipped.length + r.blocksNotReached.length}${kept}` +
    ` MACs=${formatCost(r.macs, 'macs')} (${((100 * r.macs) / r.staticMacs).toFixed(1)}% of static)${lat}${en} wall=${wall} ms`
  );
}

/** Which tables give pred.energy / pred.latency: calibrated on this board, or the analytic default. */
export function describeTables(info: { costTables: { name: string; kind: string; source: string }[] }, calibrated: string | null): string {
  const e = info.costTables.find((t) => t.kind === 'energy');
  const l = info.costTables.find((t) => t.kind === 'latency');
  if (calibrated) return `predictions from calibrated cost table ${calibrated} (${e?.source ?? ''})`;
  return `pred.energy from ${e ? `${e.name} — analytic (${e.source}), not measured on this board` : 'no energy table'}; pred.latency from ${l ? `${l.name} (${l.source})` : 'no latency table'}`;
}

export function registerInferCommand(program: Command): void {
  program
    .command('infer')
    .description('Run a DDI model on an image or a dataset and print each prediction with its inference record')
    .requiredOption('--model <name|dir>', 'an installed model by name (data/models, DDI_MODELS_DIR) or a model folder (model.json + weights.bin)')
    .option('--input <image>', 'a PNG image of the model input size')
    .option('--dataset <spec>', 'sample | fashion-mnist | DIR (test split)')
    .option('--limit <n>', 'number of dataset images (default 20)')
    .option('--offset <n>', 'first dataset index (default 0)')
    .option('--mode <mode>', 'static | iadi | radi | ddi', 'ddi')
    .option('--budget <budget>', 'hard per-sample budget for radi/ddi: 20MMAC, 3ms, 1.5mJ, ...')
    .option('--json', 'one JSON object per inference (with the MACs it spent)')
    .option('--backend <name>', BACKEND_OPTION_HELP)
    .option('--batch-size <n>', 'images per engine call (default 1)')
    .option('--cost-table <name>', 'calibrated cost table (ddi-profiler calibrate) for energy/latency budgets and predictions')
    .action(async (flags: InferFlags, cmd: Command) => {
      const mode = flags.mode as InferenceMode;
      if (!INFERENCE_MODES.includes(mode)) throw new UserError(`--mode "${flags.mode}" is not one of ${INFERENCE_MODES.join(', ')}.`);
      if (!!flags.input === !!flags.dataset) throw new UserError('Pass exactly one of --input IMAGE or --dataset sample|fashion-mnist|DIR.');
      const budget = flags.budget ? parseBudget(flags.budget) : null;
      if (takesBudget(mode) && !budget) throw new UserError(`Mode ${mode} needs --budget, e.g. --budget 20MMAC, 3ms or 1.5mJ.`);
      if (!takesBudget(mode) && budget) throw new UserError(`Mode ${mode} ignores budgets; use --mode radi or ddi with --budget.`);
      const dir = resolveModelDir(flags.model);
      const calibrated = flags.costTable ? loadCalibratedTable(calibratedTablesDir(dbPathFrom(cmd)), flags.costTable) : null;
      const engine = await DdiEngine.create({ backend: parseBackendName(flags.backend) });
      const progress = progressLine();
      // One line when a faster executor could not be used (e.g. onnxruntime-node missing): stderr keeps --json clean.
      for (const note of engine.backendInfo().notes) process.stderr.write(`${note}\n`);
      try {
        let info = engine.loadModel(dir);
        if (calibrated) {
          checkTableForModel(calibrated, dir, info.name, engine.backendInfo());
          info = engine.useCostTables({ energy: calibrated.energy, latency: calibrated.latency });
        }
        if (budget?.kind === 'latency') engine.ensureLatencyTable(true);
        engine.checkBudget(mode, budget);
        let images: Float32Array;
        let n: number;
        let labels: (number | undefined)[] | undefined;
        let indices: (number | undefined)[] | undefined;
        if (flags.input) {
          images = loadPngImage(flags.input, info.input);
          n = 1;
        } else {
          const ds = loadDataset(flags.dataset!, 'test');
          const offset = posInt(flags.offset, 'offset', 0);
          const limit = posInt(flags.limit, 'limit', 20);
          const idx = Array.from({ length: Math.max(0, Math.min(limit, ds.n - offset)) }, (_, i) => offset + i);
          if (idx.length === 0) throw new UserError(`--offset ${offset} is past the end of ${ds.name}.`);
          images = datasetImages(ds, idx, info.input);
          n = idx.length;
          labels = idx.map((i) => ds.labels[i]);
          indices = idx;
        }
        const backend = engine.backendInfo();
        if (!flags.json) {
          process.stdout.write(
            `model ${info.name} (${info.architecture}${info.randomWeights ? ', RANDOM WEIGHTS — not trained' : ''}) on ${backend.name} ${backend.version}; mode ${mode}` +
              `${budget ? `, budget ${budget.text}` : ''}; static network ${formatCost(info.backboneMacs, 'macs')} (FLOPs = 2×MACs)\n` +
              `${describeTables(info, calibrated?.name ?? null)}\n`,
          );
        }
        // Lines are printed slice by slice; the progress line on a terminal's stderr is cleared before each print.
        const started = performance.now();
        const recs = inferInSlices(
          engine,
          images,
          n,
          { mode, budget, labels, datasetIndices: indices, batchSize: posInt(flags.batchSize, 'batch-size', 1) || 1 },
          (slice, done) => {
            progress.done();
            for (const r of slice) process.stdout.write(flags.json ? `${JSON.stringify(r)}\n` : `${describe(r, info.classes)}\n`);
            if (done < n) progress.update(progressBar('infer', done, n, (performance.now() - started) / 1e3));
          },
        );
        progress.done();
        if (!flags.json && recs.length > 1) {
          const withLabel = recs.filter((r) => r.label !== undefined);
          const acc = withLabel.length ? withLabel.filter((r) => r.label === r.predictedClass).length / withLabel.length : null;
          const meanMacs = recs.reduce((s, r) => s + r.macs, 0) / recs.length;
          const within = budget ? recs.filter((r) => (r.budgetSpent ?? 0) <= budget.value).length : recs.length;
          process.stdout.write(
            `${recs.length} images${acc === null ? '' : `, accuracy ${(acc * 100).toFixed(1)}%`}, mean ${formatCost(meanMacs, 'macs')} ` +
              `(${((100 * meanMacs) / recs[0]!.staticMacs).toFixed(1)}% of static)${budget ? `, within budget ${within}/${recs.length}` : ''}\n`,
          );
        }
      } finally {
        progress.done();
        engine.dispose();
      }
    });
}
