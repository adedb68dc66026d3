/**
 * `ddi-profiler sweep`: one profiling run per model and budget, grouped as one sweep, and the measured
 * curve — accuracy vs energy per inference, latency and MACs — printed, and exported with --out.
 */
import { secondsOption, wholeNumberOption } from '../options';
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { BACKEND_OPTION_HELP, parseBackendName } from '../../ddi/backend';
import { modelHash } from '../../ddi/derived-tables';
import { readModelFile, writeAtomic } from '../../ddi/io';
import { validateMeterSpec } from '../../meters/registry';
import { calibratedTablesDir, loadCalibratedTable } from '../../profile/calibrate/store';
import { parseMargin } from '../../profile/calibrate/use';
import { parseSweepBudgets, runSweep, sweepCsv, type SweepResult } from '../../profile/sweep/sweep';
import { UserError } from '../../util/errors';
import { dbPathFrom, formatSi } from '../context';
import { withMeterAndEngine } from '../metered';
import { resolveModelDir } from '../../ddi/model-resolver';
import { parseSettings } from './record';

interface SweepFlags {
  model: string[];
  budgets: string;
  meter: string;
  dataset: string;
  limit: string;
  warmup: string;
  baseline: string;
  closing: string;
  costTable?: string[];
  margin?: string;
  backend?: string;
  set?: string[];
  out?: string;
  force?: boolean;
  json?: boolean;
}

export function registerSweepCommand(program: Command): void {
  program
    .command('sweep')
    .description('budget sweep: one profiling run per model and budget; the measured accuracy-vs-energy curve')
    .requiredOption('--model <name|dir...>', 'model(s), repeatable: one curve each')
    .requiredOption('--budgets <list>', 'comma list: percentages of the static MACs (40%,60%,100%) or budgets (0.4mJ,0.6mJ | 3MMAC | 2ms)')
    .requiredOption('--meter <spec>', 'meter spec DRIVER[:PORT][@BAUD], e.g. sim or ppk2:/dev/ttyACM0')
    .option('--dataset <spec>', 'sample | fashion-mnist | DIR of PNGs', 'sample')
    .option('--limit <n>', 'inferences per point', '100')
    .option('--warmup <n>', 'warm-up inferences per point, not counted', '10')
    .option('--baseline <time>', 'idle baseline per point', '1s')
    .option('--closing <time>', 'idle time after each point’s inferences', '0.5s')
    .option('--cost-table <name...>', 'calibrated cost table(s); each applies to the model it was calibrated for')
    .option('--margin <percent>', 'enforce each budget this much below its nominal value, e.g. 10%')
    .option('--backend <name>', `engine backend: ${BACKEND_OPTION_HELP}`)
    .option('--set <key=value...>', 'meter driver setting, repeatable')
    .option('--out <file>', 'write the curve: .json for JSON, anything else CSV')
    .option('--force', 'replace an existing --out file')
    .option('--json', 'print the result as one JSON object')
    .action(async (flags: SweepFlags, cmd: Command) => {
      const budgets = parseSweepBudgets(flags.budgets);
      const limit = wholeNumberOption(flags.limit, 'limit', 1, 1_000_000);
      const warmup = wholeNumberOption(flags.warmup, 'warmup', 0, 10_000);
      const baselineS = secondsOption(flags.baseline, 'baseline', 0.2, 600);
      const closingS = secondsOption(flags.closing, 'closing', 0, 600);
      const margin = flags.margin === undefined ? 0 : parseMargin(flags.margin);
      validateMeterSpec(flags.meter);
      if (flags.out && existsSync(flags.out) && !flags.force)
        throw new UserError(`${flags.out} exists; pass --force to replace it or choose another --out.`, 'export-exists');
      const backend = parseBackendName(flags.backend);
      const dbPath = dbPathFrom(cmd);
      const tables = (flags.costTable ?? []).map((n) => loadCalibratedTable(calibratedTablesDir(dbPath), n));
      const models = flags.model.map((spec) => {
        const dir = resolveModelDir(spec);
        const hash = modelHash(readModelFile(dir));
        return { name: basename(dir), dir, hash };
      });
      for (const t of tables) {
        if (!models.some((m) => m.hash === t.model.hash)) {
          throw new UserError(
            `Cost table ${t.name} was calibrated for ${t.model.name}, which is not among the --model(s) of this sweep; drop it or add that model.`,
            'cost-table-mismatch',
          );
        }
      }
      const settings = parseSettings(flags.set ?? []);
      await withMeterAndEngine(cmd, { spec: flags.meter, settings }, backend, async ({ core, engine, progress, signal }) => {
        const result = await runSweep(
          core,
          engine,
          {
            models: models.map((m) => ({ name: m.name, dir: m.dir, costTable: tables.find((t) => t.model.hash === m.hash) ?? null })),
            budgets,
            dataset: flags.dataset,
            limit,
            margin,
            warmup,
            baselineS,
            closingS,
          },
          (p) =>
            progress.update(`sweep point ${p.point}/${p.points} ${p.model} ${p.budget}: ${p.phase}${p.phase === 'inferences' ? ` ${p.done}/${p.total}` : ''}`),
          () => signal() !== undefined,
        );
        progress.done();
        if (flags.out) writeAtomic(flags.out, flags.out.endsWith('.json') ? `${JSON.stringify(result, null, 1)}\n` : sweepCsv(result));
        console.log(flags.json ? JSON.stringify(result, null, 2) : describeSweep(result, flags.out));
      });
    });
}

export function describeSweep(r: SweepResult, out?: string): string {
  const lines = [
    `Sweep ${r.sweepId}${r.simulated ? ' [SIMULATED meter]' : ''}: measured accuracy vs energy per inference${out ? `; curve written to ${out}` : ''}.`,
  ];
  for (const c of r.curves) {
    lines.push(`${c.model} (${c.mode}${c.costTable ? `, cost table ${c.costTable}` : ''}):`);
    lines.push(
      `  ${'budget'.padEnd(10)} ${'session'.padStart(7)} ${'accuracy'.padStart(8)} ${'energy/inf'.padStart(11)} ${'latency'.padStart(9)} ${'MACs'.padStart(10)}  within`,
    );
    for (const p of c.points) {
      lines.push(
        `  ${p.budget.padEnd(10)} ${String(p.sessionId).padStart(7)} ${(p.accuracy === null ? '—' : `${(100 * p.accuracy).toFixed(1)}%`).padStart(8)} ${formatSi(p.energyPerInferenceJ, 'J').padStart(11)} ` +
          `${formatSi(p.latencyMeanS, 's').padStart(9)} ${`${(p.macsMean / 1e6).toFixed(2)}M`.padStart(10)}  ${p.fractionWithin === null ? p.verdict : `${(100 * p.fractionWithin).toFixed(1)}%`}`,
      );
    }
    for (const s of c.skipped) lines.push(`  ${s.budget}: left out — ${s.reason}`);
  }
  return lines.join('\n');
}
