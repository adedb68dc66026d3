/**
 * Named budgets (the `budgets` table): energy, latency or MACs per inference, or energy per run, in
 * SI units (J, s, MAC). Names are unique; a budget may be tied to one model or apply to any.
 */
import { BUDGET_METRICS, METRIC_UNITS, type BudgetMetric, type BudgetSpec } from '../profile/budget-check';
import { UserError } from '../util/errors';
import type { Db } from './database';

export interface StoredBudget extends BudgetSpec {
  id: number;
  /** Null: applies to any model. */
  model: string | null;
  notes: string;
  createdAt: string;
}

export interface NewBudget {
  name: string;
  metric: BudgetMetric;
  value: number;
  model?: string | null;
  notes?: string;
}

interface Row {
  id: number;
  name: string;
  metric: BudgetMetric;
  value: number;
  unit: string;
  model: string | null;
  notes: string;
  created_at: string;
}

const toBudget = (r: Row): StoredBudget => ({
  id: r.id,
  name: r.name,
  metric: r.metric,
  value: r.value,
  unit: r.unit,
  model: r.model,
  notes: r.notes,
  createdAt: r.created_at,
});

export function checkBudgetName(name: string): string {
  const n = name.trim();
  if (n.length === 0 || n.length > 100 || /[\u0000-\u001f\u007f]/.test(n)) {
    throw new UserError(`"${name}" is not a usable budget name; use 1 to 100 printable characters, e.g. "mcu-energy".`, 'bad-budget-name');
  }
  return n;
}

export class BudgetsRepo {
  constructor(private readonly db: Db) {}

  /** Adds a budget; a taken name or a value that is not a positive finite number is refused. */
  add(b: NewBudget): StoredBudget {
    const name = checkBudgetName(b.name);
    if (!BUDGET_METRICS.includes(b.metric)) throw new UserError(`"${b.metric}" is not a budget metric; use one of ${BUDGET_METRICS.join(', ')}.`, 'bad-budget');
    if (!Number.isFinite(b.value) || !(b.value > 0)) {
      throw new UserError(`A budget must be a positive finite number, not ${b.value}; e.g. 0.8mJ, 5ms or 20MMAC.`, 'bad-budget');
    }
    const insert = this.db.transaction((): number => {
      if (this.get(name))
        throw new UserError(
          `A budget named "${name}" already exists; choose another name or remove it first with "ddi-profiler budgets rm ${name}".`,
          'budget-exists',
        );
      const r = this.db
        .prepare('INSERT INTO budgets (name, metric, value, unit, model, notes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(name, b.metric, b.value, METRIC_UNITS[b.metric], b.model?.trim() || null, b.notes ?? '', new Date().toISOString());
      return Number(r.lastInsertRowid);
    });
    // IMMEDIATE takes the write lock before the name check, so two processes cannot both add a name.
    const id = insert.immediate();
    return toBudget(this.db.prepare('SELECT * FROM budgets WHERE id = ?').get(id) as Row);
  }

  list(): StoredBudget[] {
    return (this.db.prepare('SELECT * FROM budgets ORDER BY name, id').all() as Row[]).map(toBudget);
  }

  get(name: string): StoredBudget | null {
    const r = this.db.prepare('SELECT * FROM budgets WHERE name = ? ORDER BY id LIMIT 1').get(name.trim()) as Row | undefined;
    return r ? toBudget(r) : null;
  }

  /** Removes a budget by name; an unknown name is refused. */
  remove(name: string): StoredBudget {
    const b = this.get(name);
    if (!b) throw noSuchBudget(name);
    this.db.prepare('DELETE FROM budgets WHERE id = ?').run(b.id);
    return b;
  }

  /**
   * The budgets a run checks, by name, in the order given. An unknown name, or a budget tied to
   * another model than the run's, is refused before anything runs.
   */
  resolve(names: string[], model: string | null = null): StoredBudget[] {
    return names.map((n) => {
      const b = this.get(n);
      if (!b) throw noSuchBudget(n);
      if (b.model !== null && model !== null && b.model !== model) {
        throw new UserError(`Budget "${b.name}" is for model ${b.model}, not ${model}; check another budget or add one for this model.`, 'budget-model');
      }
      return b;
    });
  }
}

function noSuchBudget(name: string): UserError {
  return new UserError(`There is no budget named "${name}"; run "ddi-profiler budgets list" to see the stored budgets.`, 'no-budget');
}
