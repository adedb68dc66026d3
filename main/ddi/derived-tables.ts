/**
 * Cost tables the app derives itself (a profiled latency table) live in the user's data folder,
 * never in a model's files: shipped models are read-only to the app, and a table measured on one
 * machine is wrong on another. One JSON file per model, machine and backend: the model by a hash
 * of its architecture and weights (a retrained or edited model never picks up an old table), the
 * machine by CPU model, core count, architecture and OS, the backend by name and version.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { arch, cpus, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { appDataDir } from '../util/app-data';
import type { CostTable } from './cost';
import { costTableSchema, writeAtomic, type ModelFile } from './io';

const FORMAT = 'ddi-profiler-derived-cost-table';

/** DDI_COST_TABLES_DIR, else beside the database (DDI_PROFILER_DB), else in the app-data folder. */
export function derivedTablesDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DDI_COST_TABLES_DIR) return env.DDI_COST_TABLES_DIR;
  const base = env.DDI_PROFILER_DB ? dirname(env.DDI_PROFILER_DB) : appDataDir(env);
  return join(base, 'cost-tables');
}

export interface MachineKey {
  cpuModel: string;
  cores: number;
  arch: string;
  platform: string;
}

export function thisMachine(): MachineKey {
  const list = cpus();
  return { cpuModel: list[0]?.model.trim() || 'unknown CPU', cores: list.length, arch: arch(), platform: platform() };
}

export interface DerivedTableKey {
  /** SHA-256 of the model's architecture and its weights' SHA-256. */
  model: string;
  machine: MachineKey;
  backend: { name: string; version: string };
}

export function modelHash(file: Pick<ModelFile, 'architecture' | 'weights'>): string {
  return createHash('sha256').update(JSON.stringify(file.architecture)).update('\0').update(file.weights.sha256).digest('hex');
}

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The file a key's table lives in; readable enough to tell files apart in a listing. */
export function derivedTablePath(dir: string, kind: 'latency', key: DerivedTableKey): string {
  const machine = sha(JSON.stringify(key.machine)).slice(0, 12);
  const backend = `${key.backend.name}-${key.backend.version}`.replace(/[^A-Za-z0-9._-]/g, '_');
  return join(dir, `${kind}-${key.model.slice(0, 16)}-${machine}-${backend}.json`);
}

const fileSchema = z.object({
  format: z.literal(FORMAT),
  key: z.object({
    model: z.string(),
    machine: z.object({ cpuModel: z.string(), cores: z.number(), arch: z.string(), platform: z.string() }),
    backend: z.object({ name: z.string(), version: z.string() }),
  }),
  table: costTableSchema,
});

/**
 * The stored table for this key, or null when there is none. A file that does not parse, or was
 * written for another key (a hash-prefix collision), counts as none: the table is profiled again.
 */
export function loadDerivedTable(dir: string, kind: 'latency', key: DerivedTableKey): CostTable | null {
  const path = derivedTablePath(dir, kind, key);
  if (!existsSync(path)) return null;
  let parsed;
  try {
    parsed = fileSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  } catch {
    return null;
  }
  if (!parsed.success || !sameKey(parsed.data.key, key) || parsed.data.table.kind !== kind) return null;
  return parsed.data.table as CostTable;
}

function sameKey(a: DerivedTableKey, b: DerivedTableKey): boolean {
  const m = (k: DerivedTableKey) => [k.model, k.machine.cpuModel, k.machine.cores, k.machine.arch, k.machine.platform, k.backend.name, k.backend.version];
  return JSON.stringify(m(a)) === JSON.stringify(m(b));
}

export function saveDerivedTable(dir: string, key: DerivedTableKey, table: CostTable & { kind: 'latency' }): string {
  mkdirSync(dir, { recursive: true });
  const path = derivedTablePath(dir, table.kind, key);
  writeAtomic(path, `${JSON.stringify({ format: FORMAT, key, table }, null, 1)}\n`);
  return path;
}
