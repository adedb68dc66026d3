/**
 * `ddi-profiler profile`: a profiling run — the meter trace and every inference in one session, the
 * meter's time aligned to the host's, energy attributed per inference, budgets checked.
 */
import { secondsOption, wholeNumberOption } from '../options';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { BACKEND_OPTION_HELP, parseBackendName } from '../../ddi/backend';
import { INFERENCE_MODES, type InferenceMode } from '../../ddi/types';
import { validateMeterSpec } from '../../meters/registry';
import type { ProfileResult } from '../../profile/analyze';
import { BudgetsRepo } from '../../store/budgets-repo';
import { ProfileRun } from '../../profile/run';
import { UserError } from '../../util/errors';
import { dbPathFrom, formatSi } from '../context';
import { withMeterAndEngine } from '../metered';
import { formatCost } from '../../ddi/cost';
import type { BudgetEnforcement } from '../../profile/run';
import { calibratedTablesDir, loadCalibratedTable } from '../../profile/calibrate/store';
import { parseMargin } from '../../profile/calibrate/use';
import { resolveModelDir } from '../../ddi/model-resolver';
import { parseSettings } from './record';

interface ProfileFlags {
  model: string;
  meter: string;
  dataset: string;
  limit: string;
  mode: string;
  budget?: string;
  check?: string[];
  baseline: string;
  closing: string;
  warmup: string;
  name?: string;
  backend?: string;
  set?: string[];
  json?: boolean;
  costTable?: string;
  margin?: string;
}

export function registerProfileCommand(program: Command): void {
  program
    .command('profile')
    .description('profiling run: measure energy per inference with a meter and check it against budgets')
    .requiredOption('--model <name|dir>', 'model name (data/models) or directory')
    .requiredOption('--meter <spec>', 'meter spec DRIVER[:PORT][@BAUD], e.g. sim or ppk2:/dev/ttyACM0')
    .option('--dataset <spec>', 'sample | fashion-mnist | DIR of PNGs', 'sample')
    .option('--limit <n>', 'number of inferences', '100')
    .option('--mode <mode>', 'static | iadi | radi | ddi', 'static')
    .option('--budget <budget>', 'hard per-inference budget for radi/ddi: 20MMAC, 3ms, 1.5mJ')
    .option('--check <budget-name...>', 'stored budget to check (ddi-profiler budgets add), repeatable')
    .option('--baseline <time>', 'idle baseline before the inferences', '2s')
    .option('--closing <time>', 'idle time after the inferences', '1s')
    .option('--warmup <n>', 'warm-up inferences, not counted', '20')
    .option('--name <name>', 'session name')
    .option('--backend <name>', `engine backend: ${BACKEND_OPTION_HELP}`)
    .option('--set <key=value...>', 'meter driver setting, repeatable')
    .option('--cost-table <name>', 'calibrated cost table (ddi-profiler calibrate) for energy/latency budgets and predictions')
    .option('--margin <percent>', 'enforce the budget this much below its nominal value, e.g. 10%; the check stays against the nominal budget')
    .option('--json', 'print the result as one JSON object')
    .action(async (flags: ProfileFlags, cmd: Command) => {
      const mode = flags.mode as InferenceMode;
      if (!INFERENCE_MODES.includes(mode)) throw new UserError(`--mode "${flags.mode}" is not one of ${INFERENCE_MODES.join(', ')}.`, 'bad-mode');
      const limit = wholeNumberOption(flags.limit, 'limit', 1, 1_000_000);
      const warmup = wholeNumberOption(flags.warmup, 'warmup', 0, 10_000);
      const baselineS = secondsOption(flags.baseline, 'baseline', 0.2, 600);
      const closingS = secondsOption(flags.closing, 'closing', 0, 600);
      validateMeterSpec(flags.meter);
      const modelDir = resolveModelDir(flags.model);
      const settings = parseSettings(flags.set ?? []);
      const margin = flags.margin === undefined ? 0 : parseMargin(flags.margin);
      if (margin && !flags.budget) throw new UserError('--margin shrinks a hard budget; add --budget (with --mode radi or ddi).', 'bad-margin');
      const costTable = flags.costTable ? loadCalibratedTable(calibratedTablesDir(dbPathFrom(cmd)), flags.costTable) : null;
      const backend = parseBackendName(flags.backend);
      await withMeterAndEngine(cmd, { spec: flags.meter, settings }, backend, async ({ core, engine, progress, onSignal }) => {
        const run = new ProfileRun(
          core,
          engine,
          modelDir,
          {
            model: flags.model,
            dataset: flags.dataset,
            limit,
            mode,
            budget: flags.budget ?? null,
            checks: new BudgetsRepo(core.db).resolve(flags.check ?? [], basename(modelDir)),
            baselineS,
            closingS,
            warmup,
            ...(flags.name ? { name: flags.name } : {}),
            costTable,
            margin,
          },
          (p) =>
            progress.update(
              `profile session ${p.sessionId}: ${p.phase}${p.phase === 'inferences' ? ` ${p.done}/${p.total}` : ''}  ` +
                `${p.elapsedS.toFixed(1)} s${p.etaS !== null ? `, about ${Math.ceil(p.etaS)} s left` : ''}`,
            ),
        );
        onSignal(() => run.cancel());
        const result = await run.run();
        progress.done();
        if (flags.json) console.log(JSON.stringify(result, null, 2));
        else
          console.log(
            `${describeResult(result)}\n${describeEnforcement(result.enforcement)}${result.compliance ? `\nMeasured compliance: ${result.compliance.summary}` : ''}`,
          );
        if (result.status === 'incomplete') {
          throw new UserError(`Profiling run ${result.sessionId} is incomplete: ${result.statusReason ?? 'the meter stopped early'}`, 'session-incomplete');
        }
      });
    });
}

/** Which tables predicted and enforced, and the nominal vs the enforced budget. */
export function describeEnforcement(e: BudgetEnforcement): string {
  const tables = e.costTable
    ? `calibrated cost table ${e.costTable} (${e.energyTable}, ${e.latencyTable})`
    : `default tables (energy ${e.energyTable ?? 'none'}: analytic, not measured on this board; latency ${e.latencyTable ?? 'none'})`;
  const kind = e.nominal?.kind;
  const fmt = (b: { value: number } | null) => (b && kind ? formatCost(b.value, kind) : '—');
  return e.nominal
    ? `Hard budget: nominal ${fmt(e.nominal)} (checked), enforced ${fmt(e.enforced)}${e.margin ? ` (margin ${+(e.margin * 100).toFixed(3)} %)` : ''}; predictions from ${tables}.`
    : `Predictions from ${tables}.`;
}

function noStop(s: string): string {
  return s.replace(/\.+$/, '');
}

/** The human summary: which numbers are measured, which predicted, and every verdict in plain words. */
export function describeResult(r: ProfileResult): string {
  const lines: string[] = [];
  const sim = r.simulated ? ' [SIMULATED meter]' : '';
  lines.push(
    `Profiling run ${r.sessionId}${sim}: ${r.model} ${r.mode}${r.budget ? ` budget ${r.budget}` : ''} on ${r.backend}, ${r.inferences} inferences (${r.status}).`,
  );
  const a = r.alignment;
  lines.push(
    a
      ? `Alignment (${a.method}): offset ${(a.offsetNs / 1e6).toFixed(2)} ms ± ${(a.uncertaintyNs / 1e6).toFixed(2)} ms, strength ${a.strength.toFixed(2)}${a.trusted ? '' : ` — not trusted: ${noStop(a.reason ?? '')}`}.`
      : 'Alignment: none.',
  );
  lines.push(`Attribution: ${r.attribution.mode} — ${r.attribution.reason}`);
  if (r.baseline) lines.push(`Idle baseline: ${formatSi(r.baseline.meanPowerW, 'W')} (measured).`);
  const e = r.energyPerInference;
  if (e) {
    lines.push(
      `Measured energy per inference: mean ${formatSi(e.mean, 'J')}, p50 ${formatSi(e.p50, 'J')}, p95 ${formatSi(e.p95, 'J')}, max ${formatSi(e.max, 'J')}` +
        (e.ci95 ? ` (95 % CI ${formatSi(e.ci95[0], 'J')} … ${formatSi(e.ci95[1], 'J')})` : '') +
        `; active (above baseline) mean ${formatSi(e.activeMean, 'J')}.`,
    );
  } else {
    lines.push('Measured energy per inference: not available (see attribution).');
  }
  for (const b of r.budgets) {
    lines.push(`Budget ${b.name} (${b.metric} ≤ ${b.valueText}, measured): ${b.verdict.toUpperCase()} — ${b.summary}`);
  }
  return lines.join('\n');
}
