/**
 * `ddi-profiler calibrate`: profile a model on this board in several runs, fit its energy and latency
 * cost tables, report the error on a held-out run, and store them under a name for `--cost-table`.
 */
import { percentOption, secondsOption, wholeNumberOption } from '../options';
import type { Command } from 'commander';
import { BACKEND_OPTION_HELP, parseBackendName } from '../../ddi/backend';
import { validateMeterSpec } from '../../meters/registry';
import { calibrate, checkSegments, DEFAULT_MAX_EXTRA_ROUNDS, type CalibrationResult } from '../../profile/calibrate/calibrate';
import { calibratedTablesDir, checkTableName } from '../../profile/calibrate/store';
import { UserError } from '../../util/errors';
import { dbPathFrom, formatSi } from '../context';
import { withMeterAndEngine } from '../metered';
import { resolveModelDir } from '../../ddi/model-resolver';
import { parseSettings } from './record';

interface CalibrateFlags {
  model: string;
  meter: string;
  dataset: string;
  runs: string;
  limit: string;
  warmup?: string;
  segments?: string;
  baseline: string;
  closing: string;
  precision: string;
  maxTime: string;
  maxRounds: string;
  name?: string;
  backend?: string;
  set?: string[];
  json?: boolean;
}

export function registerCalibrateCommand(program: Command): void {
  program
    .command('calibrate')
    .description('fit this board’s energy and latency cost tables from profiling runs; stores them for --cost-table')
    .requiredOption('--model <name|dir>', 'model name (data/models) or directory')
    .requiredOption('--meter <spec>', 'meter spec DRIVER[:PORT][@BAUD], e.g. sim or ppk2:/dev/ttyACM0')
    .option('--runs <n>', 'profiling runs: static, iadi and budgeted runs over the MAC range; one is held out', '6')
    .option(
      '--limit <n>',
      'inferences per run (1000: the mean energy per inference to about ±8 % on a board whose single inferences vary as much as their mean)',
      '1000',
    )
    .option('--dataset <spec>', 'sample | fashion-mnist | DIR of PNGs', 'sample')
    .option(
      '--segments <n>',
      'measure each run in N parts, run after run in turn, so a drift of the board is shared by all runs (default: 3, fewer below 120 inferences)',
    )
    .option('--warmup <n>', 'warm-up inferences per run, not counted (default: one pass over the run’s own inputs, --limit)')
    .option(
      '--precision <percent>',
      'measure every run again, all runs in turn, until each run’s mean energy per inference is known to ± this (95 % interval), or --max-time',
      '3%',
    )
    .option('--max-time <time>', 'no further measuring round starts that would end the calibration after this', '5m')
    .option('--max-rounds <n>', 'at most this many further measuring rounds', String(DEFAULT_MAX_EXTRA_ROUNDS))
    .option('--baseline <time>', 'idle baseline per run', '1s')
    .option('--closing <time>', 'idle time after each run’s inferences', '0.5s')
    .option('--name <name>', 'name of the stored table (default: model-backend-date)')
    .option('--backend <name>', `engine backend: ${BACKEND_OPTION_HELP}`)
    .option('--set <key=value...>', 'meter driver setting, repeatable')
    .option('--json', 'print the result as one JSON object')
    .action(async (flags: CalibrateFlags, cmd: Command) => {
      const runs = wholeNumberOption(flags.runs, 'runs', 3, 50);
      const limit = wholeNumberOption(flags.limit, 'limit', 10, 1_000_000);
      // A run is measured in the executor's steady state (kernels compiled, its caches of kept-channel
      // graphs filled by this very mode and budget), the state the table will serve, not in the
      // transient its predecessor left: by default each run first runs its own inputs once.
      const warmup = flags.warmup === undefined ? limit : wholeNumberOption(flags.warmup, 'warmup', 0, 1_000_000);
      const segments = flags.segments === undefined ? undefined : wholeNumberOption(flags.segments, 'segments', 1, 20);
      if (segments !== undefined) checkSegments(segments, limit);
      const baselineS = secondsOption(flags.baseline, 'baseline', 0.2, 600);
      const closingS = secondsOption(flags.closing, 'closing', 0, 600);
      const precision = percentOption(flags.precision, 'precision', 50);
      const maxDurationS = secondsOption(flags.maxTime, 'max-time', 1, 24 * 3600);
      const maxExtraRounds = wholeNumberOption(flags.maxRounds, 'max-rounds', 0, 100);
      if (flags.name !== undefined) checkTableName(flags.name);
      validateMeterSpec(flags.meter);
      const modelDir = resolveModelDir(flags.model);
      const settings = parseSettings(flags.set ?? []);
      const backend = parseBackendName(flags.backend);
      const dbPath = dbPathFrom(cmd);
      await withMeterAndEngine(cmd, { spec: flags.meter, settings }, backend, async ({ core, engine, meter, progress, signal }) => {
        const result = await calibrate(
          core,
          engine,
          {
            modelDir,
            dataset: flags.dataset,
            limit,
            runs,
            warmup,
            ...(segments !== undefined ? { segments } : {}),
            baselineS,
            closingS,
            precision,
            maxDurationS,
            maxExtraRounds,
            ...(flags.name ? { name: flags.name } : {}),
            tablesDir: calibratedTablesDir(dbPath),
            meter: { spec: flags.meter, label: meter.label, simulated: meter.simulated },
          },
          (p) =>
            progress.update(
              `calibrate session ${p.run}/${p.runs} (session ${p.sessionId}): ${p.phase}${p.phase === 'inferences' ? ` ${p.done}/${p.total}` : ''}`,
            ),
          () => signal() !== undefined,
        );
        progress.done();
        console.log(flags.json ? JSON.stringify(result, null, 2) : describeCalibration(result));
      });
    });
}

const pct = (x: number | null): string => (x === null ? '—' : `${(100 * x).toFixed(1)} %`);

/** "session 4"; for a run measured in segments "sessions 4, 8, 12"; with extra rounds "17 sessions 4, 8, 12, …, 68". */
const sessionsText = (ids: readonly number[]): string =>
  ids.length > 4 ? `${ids.length} sessions ${ids.slice(0, 3).join(', ')}, …, ${ids[ids.length - 1]}` : `session${ids.length > 1 ? 's' : ''} ${ids.join(', ')}`;

function precisionText(p: CalibrationResult['precision']): string {
  const rounds = p.extraRounds ? `after ${p.extraRounds} extra round${p.extraRounds > 1 ? 's' : ''} over every run` : 'without extra rounds';
  const asked = `asked ± ${pct(p.target)} at 95 %`;
  if (p.reached) return `Every run's mean energy per inference is known to ± ${pct(p.worstCi95)} or better (${asked}), ${rounds}.`;
  const worst =
    p.worstCi95 === null
      ? 'a run has fewer than two energy observations, so no interval'
      : `the least precise run's mean energy per inference is known to ± ${pct(p.worstCi95)}`;
  const stop = p.extraRounds >= p.maxExtraRounds ? `--max-rounds ${p.maxExtraRounds}` : `--max-time ${Math.round(p.maxDurationS)} s`;
  return `Precision NOT reached: ${worst} (${asked}) ${rounds}, when ${stop} stopped further rounds; allow more rounds or time, or raise --limit, for a held-out error that means more.`;
}

export function describeCalibration(r: CalibrationResult): string {
  const t = r.costTable;
  const lines = [
    `Cost table ${t.name}${r.simulated ? ' [SIMULATED meter]' : ''}: ${t.model.name} on ${t.backend.name} ${t.backend.version}, ${t.machine.cpuModel} × ${t.machine.cores}; stored in ${t.path}.`,
    `Runs: ${r.runs.map((x) => `${sessionsText(x.sessionIds)} ${x.mode}${x.budget ? ` ${x.budget}` : ''}${x.heldOut ? ' (held out)' : ''} [${x.attribution}, ${x.energyObservations} energy observations${x.energySetAside.length ? `; energy of window-mode session ${x.energySetAside.join(', ')} set aside` : ''}]`).join('; ')}.`,
    precisionText(r.precision),
    `Idle power ${formatSi(t.idlePowerW, 'W')}; a static inference: ${formatSi(r.staticPrediction.energyJ, 'J')}, ${formatSi(r.staticPrediction.latencyS, 's')} (predicted).`,
  ];
  for (const [what, f, unit] of [
    ['Energy (active)', r.fit.energy, 'J'],
    ['Latency', r.fit.latency, 's'],
  ] as const) {
    const fitted = f.parameters.filter((p) => p.status === 'fitted' || p.status === 'weak' || p.status === 'pooled');
    lines.push(
      `${what} fit: intercept ${formatSi(f.intercept, unit)}; ${fitted.map((p) => `${p.name} ${p.value.toPrecision(3)} ${unit}${p.status === 'fitted' ? '' : ` (${p.status})`}`).join(', ') || 'no rate'}; ` +
        `residual MAPE ${pct('measuredMape' in f ? f.measuredMape : f.residuals.mape)}${'measuredMape' in f ? ' of measured energy' : ''} over ${f.residuals.observations} observations` +
        `${f.residuals.excluded ? ` (${f.residuals.excluded} outliers left out)` : ''}.`,
    );
    const unid = f.parameters.filter((p) => p.status === 'folded' || p.status === 'zero');
    if (unid.length) lines.push(`  Not identified by these runs: ${unid.map((p) => `${p.name} (${p.status})`).join(', ')}.`);
  }
  const h = r.heldOut;
  const signed = (x: number | null): string => (x === null ? '—' : `${x >= 0 ? '+' : '−'}${(100 * Math.abs(x)).toFixed(1)} %`);
  const unit = h.attribution === 'window' ? 'window' : 'inference';
  lines.push(
    `Held-out run (${sessionsText(h.sessionIds)}, ${h.mode}${h.budget ? ` ${h.budget}` : ''}, ${h.attribution} attribution): ` +
      `mean energy per inference predicted ${formatSi(h.predictedEnergyPerInferenceJ, 'J')}, measured ${formatSi(h.measuredEnergyPerInferenceJ, 'J')} ` +
      `${h.energyMeanCi95 === null ? '(one observation, no interval)' : `± ${pct(h.energyMeanCi95)} (95 %)`}: mean error ${signed(h.energyMeanError)}; per-${unit} MAPE ${pct(h.energyMape)} ` +
      `(analytic 45 nm table ${pct(h.analyticEnergyMape)}); latency mean error ${signed(h.latencyMeanError)}, per-inference MAPE ${pct(h.latencyMape)}.`,
  );
  const m = r.minimumBudgets.ddi.energyJ !== null ? r.minimumBudgets.ddi : r.minimumBudgets.radi;
  lines.push(`Smallest budgets with this table: ${formatSi(m.energyJ, 'J')}, ${formatSi(m.latencyS, 's')}. Use it: --cost-table ${t.name}.`);
  return lines.join('\n');
}
