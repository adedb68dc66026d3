/** Stored budgets named by a profiling run, resolved before anything is recorded. */
import type { Db } from '../store/database';
import { UserError } from '../util/errors';
import type { BudgetMetric, BudgetSpec } from './budget-check';

export function resolveBudgetChecks(db: Db, names: string[]): BudgetSpec[] {
  const find = db.prepare('SELECT name, metric, value, unit FROM budgets WHERE name = ?');
  return names.map((name) => {
    const row = find.get(name) as { name: string; metric: BudgetMetric; value: number; unit: string } | undefined;
    if (!row) {
      const known = (db.prepare('SELECT name FROM budgets ORDER BY name').all() as { name: string }[]).map((r) => r.name);
      throw new UserError(`There is no stored budget "${name}"; ${known.length ? `stored budgets: ${known.join(', ')}` : 'add one with "ddi-profiler budgets add"'}.`, 'no-budget');
    }
    return { name: row.name, metric: row.metric, value: row.value, unit: row.unit };
  });
}
