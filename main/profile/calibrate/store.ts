/**
 * Named calibrated cost tables: one JSON file each in `calibrated/` of the derived cost-tables folder
 * (beside the database, like the profiled latency tables of ddi/derived-tables.ts). A table holds an
 * energy and a latency CostTable fitted on measured profiling runs, and what they are valid for: the
 * model (hash of architecture and weights), the machine, the engine backend, the meter, the date,
 * the fit and its error on a held-out run. Using a table for another model, machine or backend is
 * refused: its numbers describe that combination only.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { CostTable } from '../../ddi/cost';
import { derivedTablesDir, type MachineKey } from '../../ddi/derived-tables';
import { costTableSchema, writeAtomic } from '../../ddi/io';
import { UserError } from '../../util/errors';

const FORMAT = 'ddi-profiler-calibrated-cost-table';
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/;

export interface CalibratedTable {
  format: typeof FORMAT;
  name: string;
  createdAt: string;
  model: { name: string; hash: string };
  machine: MachineKey;
  backend: { name: string; version: string };
  meter: { spec: string; label: string; simulated: boolean };
  /** Idle (baseline) power of the calibration runs: the energy table adds it × predicted latency. */
  idlePowerW: number;
  energy: CostTable;
  latency: CostTable;
  /** The fits, the held-out evaluation and the runs used: see calibrate.ts. */
  report: Record<string, unknown>;
}

const fileSchema = z.object({
  format: z.literal(FORMAT),
  name: z.string(),
  createdAt: z.string(),
  model: z.object({ name: z.string(), hash: z.string() }),
  machine: z.object({ cpuModel: z.string(), cores: z.number(), arch: z.string(), platform: z.string() }),
  backend: z.object({ name: z.string(), version: z.string() }),
  meter: z.object({ spec: z.string(), label: z.string(), simulated: z.boolean() }),
  idlePowerW: z.number(),
  energy: costTableSchema,
  latency: costTableSchema,
  report: z.record(z.string(), z.unknown()),
});

/** DDI_COST_TABLES_DIR, else `cost-tables/` beside the database in use, then `calibrated/`. */
export function calibratedTablesDir(dbPath?: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.DDI_COST_TABLES_DIR ? env.DDI_COST_TABLES_DIR : dbPath ? join(dirname(dbPath), 'cost-tables') : derivedTablesDir(env);
  return join(base, 'calibrated');
}

export function checkTableName(name: string): string {
  if (!NAME.test(name)) {
    throw new UserError(
      `"${name}" is not a usable cost-table name; use up to 80 letters, digits, dots, dashes or underscores, starting with a letter or digit.`,
      'bad-cost-table',
    );
  }
  return name;
}

export function saveCalibratedTable(dir: string, table: CalibratedTable, replace = false): string {
  checkTableName(table.name);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${table.name}.json`);
  if (!replace && existsSync(path)) throw new UserError(`A cost table named ${table.name} exists already; choose another --name.`, 'cost-table-exists');
  writeAtomic(path, `${JSON.stringify(table, null, 1)}\n`);
  return path;
}

export function loadCalibratedTable(dir: string, name: string): CalibratedTable {
  checkTableName(name);
  const path = join(dir, `${name}.json`);
  if (!existsSync(path)) {
    const known = listCalibratedTables(dir).map((t) => t.name);
    throw new UserError(
      `No calibrated cost table named ${name} in ${dir}; ${known.length ? `known: ${known.join(', ')}` : 'run `ddi-profiler calibrate` first'}.`,
      'no-cost-table',
    );
  }
  let parsed;
  try {
    parsed = fileSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  } catch {
    parsed = null;
  }
  if (!parsed?.success) throw new UserError(`The cost table file ${path} is damaged; calibrate again or remove it.`, 'bad-cost-table');
  return parsed.data as CalibratedTable;
}

export function listCalibratedTables(dir: string): CalibratedTable[] {
  if (!existsSync(dir)) return [];
  const out: CalibratedTable[] = [];
  for (const f of readdirSync(dir)
    .filter((x) => x.endsWith('.json'))
    .sort()) {
    try {
      out.push(loadCalibratedTable(dir, f.slice(0, -5)));
    } catch {
      // A damaged or foreign file is not a table; loading it by name says so.
    }
  }
  return out;
}

/** Refuses, in one sentence, a table calibrated for another model, machine or backend. */
export function checkTableFits(
  t: CalibratedTable,
  use: { modelName: string; modelHash: string; machine: MachineKey; backend: { name: string; version: string } },
): void {
  if (t.model.hash !== use.modelHash) {
    throw new UserError(
      `Cost table ${t.name} was calibrated for model ${t.model.name} (${t.model.hash.slice(0, 12)}), not for ${use.modelName} (${use.modelHash.slice(0, 12)}); calibrate this model or leave out --cost-table.`,
      'cost-table-mismatch',
    );
  }
  const m = t.machine;
  const u = use.machine;
  if (m.cpuModel !== u.cpuModel || m.cores !== u.cores || m.arch !== u.arch || m.platform !== u.platform) {
    throw new UserError(
      `Cost table ${t.name} was calibrated on another machine (${m.cpuModel} × ${m.cores}, ${m.platform} ${m.arch}); calibrate on this one (${u.cpuModel} × ${u.cores}) or leave out --cost-table.`,
      'cost-table-mismatch',
    );
  }
  if (t.backend.name !== use.backend.name || t.backend.version !== use.backend.version) {
    throw new UserError(
      `Cost table ${t.name} was calibrated on backend ${t.backend.name} ${t.backend.version}, not ${use.backend.name} ${use.backend.version}; pass --backend ${t.backend.name} or calibrate again.`,
      'cost-table-mismatch',
    );
  }
}
