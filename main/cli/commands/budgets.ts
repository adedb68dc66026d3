/**
 * ddi-profiler budgets add|list|rm: the named budgets a profiling run can be checked against
 * (`ddi-profiler profile --check NAME`). Values are parsed with the same unit parser as `--budget`.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { parseBudget } from '../../domain/budget';
import type { CostKind } from '../../ddi/cost';
import { formatMetricValue, type BudgetMetric } from '../../profile/budget-check';
import { BudgetsRepo, checkBudgetName, type StoredBudget } from '../../store/budgets-repo';
import { openDatabase } from '../../store/database';
import { UserError } from '../../util/errors';
import { dbPathFrom } from '../context';

interface AddFlags {
  energy?: string;
  latency?: string;
  macs?: string;
  runEnergy?: string;
  model?: string;
  notes?: string;
}

const FLAGS: { flag: keyof AddFlags; option: string; metric: BudgetMetric; kind: CostKind; example: string }[] = [
  { flag: 'energy', option: '--energy', metric: 'energy_per_inference', kind: 'energy', example: '0.8mJ' },
  { flag: 'latency', option: '--latency', metric: 'latency_per_inference', kind: 'latency', example: '5ms' },
  { flag: 'macs', option: '--macs', metric: 'macs_per_inference', kind: 'macs', example: '20M' },
  { flag: 'runEnergy', option: '--run-energy', metric: 'energy_per_run', kind: 'energy', example: '2J' },
];

const KIND_WORD: Record<CostKind, string> = { energy: 'an energy', latency: 'a latency', macs: 'a MAC count' };

/** Parses the one value flag given into a metric and an SI value; refuses none, several or a wrong kind. */
export function budgetFromFlags(flags: AddFlags): { metric: BudgetMetric; value: number } {
  const given = FLAGS.filter((f) => flags[f.flag] !== undefined);
  if (given.length !== 1) {
    throw new UserError(
      `Give exactly one of --energy, --latency, --macs or --run-energy (${given.length === 0 ? 'none was' : given.map((g) => g.option).join(' and ') + ' were'} given), e.g. --energy 0.8mJ.`,
      'bad-budget',
    );
  }
  const f = given[0]!;
  let text = flags[f.flag]!.trim();
  // "--macs 20M" reads as 20 MMAC: MAC counts may leave out the unit after the prefix.
  if (f.kind === 'macs' && /^[\d.eE+-]+\s*[kKMG]?$/.test(text)) text = `${text}MAC`;
  const b = parseBudget(text);
  if (b.kind !== f.kind) {
    throw new UserError(
      `${f.option} takes ${KIND_WORD[f.kind]}, but "${flags[f.flag]}" is ${KIND_WORD[b.kind]}; write e.g. ${f.option} ${f.example}.`,
      'bad-budget',
    );
  }
  return { metric: f.metric, value: b.value };
}

const METRIC_WORDS: Record<BudgetMetric, string> = {
  energy_per_inference: 'energy per inference',
  latency_per_inference: 'latency per inference',
  macs_per_inference: 'MACs per inference',
  energy_per_run: 'energy per run',
};

function describe(b: StoredBudget): string {
  return `${METRIC_WORDS[b.metric]} ≤ ${formatMetricValue(b.metric, b.value)} (${b.model ? `model ${b.model}` : 'any model'})`;
}

function withRepo<T>(cmd: Command, fn: (repo: BudgetsRepo) => T): T {
  const db = openDatabase(dbPathFrom(cmd));
  try {
    return fn(new BudgetsRepo(db));
  } finally {
    db.close();
  }
}

export function registerBudgetsCommand(program: Command): void {
  const budgets = program.command('budgets').description('named budgets that profiling runs are checked against (profile --check NAME)');

  budgets
    .command('add')
    .description('store a budget: exactly one of --energy, --latency, --macs, --run-energy')
    .argument('<name>', 'unique name, used with "profile --check NAME"')
    .option('--energy <value>', 'measured energy per inference, e.g. 0.8mJ, 500uJ')
    .option('--latency <value>', 'latency per inference, e.g. 5ms, 800us')
    .option('--macs <value>', 'MACs per inference, e.g. 20M, 500kMAC')
    .option('--run-energy <value>', 'measured energy of the whole run, e.g. 2J')
    .option('--model <name>', 'apply only to this model (default: any model)')
    .option('--notes <text>', 'free text')
    .option('--json', 'print the stored budget as JSON')
    .action((name: string, flags: AddFlags & { json?: boolean }, cmd: Command) => {
      // Everything is checked before the database is opened, so a refused command writes nothing.
      const n = checkBudgetName(name);
      const { metric, value } = budgetFromFlags(flags);
      const stored = withRepo(cmd, (repo) => repo.add({ name: n, metric, value, model: flags.model ?? null, notes: flags.notes ?? '' }));
      if (flags.json) console.log(JSON.stringify(stored, null, 2));
      else console.log(`Added budget "${stored.name}": ${describe(stored)}.`);
    });

  budgets
    .command('list')
    .description('list the stored budgets')
    .option('--json', 'print JSON')
    .action((flags: { json?: boolean }, cmd: Command) => {
      // Listing never creates a database.
      const list = existsSync(dbPathFrom(cmd)) ? withRepo(cmd, (repo) => repo.list()) : [];
      if (flags.json) {
        console.log(JSON.stringify(list, null, 2));
        return;
      }
      if (list.length === 0) {
        console.log('No budgets yet. Add one with: ddi-profiler budgets add mcu-energy --energy 0.8mJ');
        return;
      }
      const width = Math.max(4, ...list.map((b) => b.name.length));
      console.log(`${'name'.padEnd(width)}  ${'metric'.padEnd(21)}  ${'budget'.padStart(12)}  model         notes`);
      for (const b of list) {
        console.log(
          `${b.name.padEnd(width)}  ${METRIC_WORDS[b.metric].padEnd(21)}  ${formatMetricValue(b.metric, b.value).padStart(12)}  ` +
            `${(b.model ?? '(any)').padEnd(12)}  ${b.notes}`,
        );
      }
    });

  budgets
    .command('rm')
    .description('remove a stored budget')
    .argument('<name>', 'budget name')
    .action((name: string, _flags: unknown, cmd: Command) => {
      if (!existsSync(dbPathFrom(cmd))) {
        throw new UserError(`There is no budget named "${name}"; run "ddi-profiler budgets list" to see the stored budgets.`, 'no-budget');
      }
      const removed = withRepo(cmd, (repo) => repo.remove(name));
      console.log(`Removed budget "${removed.name}" (${describe(removed)}).`);
    });
}
