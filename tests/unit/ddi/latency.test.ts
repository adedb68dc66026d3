import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DdiEngine } from '../../../main/ddi/engine';
import { derivedTablesDir } from '../../../main/ddi/derived-tables';
import { readModelFile } from '../../../main/ddi/io';
import { randomImages } from './fixtures';

let root: string;
let modelDir: string;
let tablesDir: string;
let engine: DdiEngine;

/** Bytes and modification time of every file in the model folder. */
function snapshot(dir: string): Record<string, { bytes: string; mtimeMs: number }> {
  const out: Record<string, { bytes: string; mtimeMs: number }> = {};
  for (const f of readdirSync(dir).sort()) out[f] = { bytes: readFileSync(join(dir, f)).toString('base64'), mtimeMs: statSync(join(dir, f)).mtimeMs };
  return out;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'ddi-lat-'));
  modelDir = join(root, 'model');
  tablesDir = join(root, 'tables');
  cpSync(resolve('tests/fixtures/models/tiny-random-test'), modelDir, { recursive: true });
  // Like the shipped mgl2s-50: no latency table of its own, so a latency budget must profile one.
  const file = readModelFile(modelDir);
  writeFileSync(join(modelDir, 'model.json'), `${JSON.stringify({ ...file, costTables: [] }, null, 1)}\n`);
  // Read-only, as shipped model files are to the app (root ignores the mode: the snapshot decides).
  for (const f of readdirSync(modelDir)) chmodSync(join(modelDir, f), 0o444);
  engine = await DdiEngine.create({ backend: 'wasm', tablesDir });
});
afterAll(() => {
  engine.dispose();
  rmSync(root, { recursive: true, force: true });
});

describe('latency cost table', () => {
  it('profiles every unit, keeps the table in the data folder (never in the model files), and finds it again on the next load', async () => {
    const before = snapshot(modelDir);
    engine.loadModel(modelDir);
    // The path a latency budget takes (Run page, infer CLI): profile once when there is no table.
    const table = engine.ensureLatencyTable(true);
    expect(table.kind).toBe('latency');
    expect(table.backend?.name).toBe('wasm');
    const ids = Object.keys(table.entries);
    for (const u of engine.model.units) expect(ids).toContain(u.id);
    expect(Object.values(table.entries).every((e) => e.fixed >= 0 && e.perChannel >= 0 && e.anyChannel >= 0)).toBe(true);
    expect(Object.values(table.entries).some((e) => e.fixed + e.perChannel > 0)).toBe(true);

    // The model folder is byte for byte and mtime for mtime as it was.
    expect(snapshot(modelDir)).toEqual(before);
    const stored = readdirSync(tablesDir);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatch(/^latency-[0-9a-f]{16}-[0-9a-f]{12}-wasm-[\d.]+\.json$/);

    // A fresh engine (next start of the app) loads the same table instead of profiling again.
    const next = await DdiEngine.create({ backend: 'wasm', tablesDir });
    try {
      const info = next.loadModel(modelDir);
      expect(info.costTables.find((t) => t.kind === 'latency')?.source).toBe(table.source);
      expect(next.ensureLatencyTable(true).createdAt).toBe(table.createdAt);
      const min = info.minimumBudgets.ddi.latency!;
      expect(min).toBeGreaterThan(0);
      const budget = { kind: 'latency' as const, value: min * 1.4 };
      const recs = next.infer(randomImages(6, 28, 28, 1, 4), 6, { mode: 'ddi', budget });
      for (const r of recs) {
        expect(r.latencyTable).toBe('latency:wasm');
        expect(r.budgetSpent).toBe(r.predictedLatencyS);
        expect(r.predictedLatencyS!).toBeLessThanOrEqual(budget.value);
      }
    } finally {
      next.dispose();
    }
    expect(snapshot(modelDir)).toEqual(before);
  });

  it('keeps derived tables beside the database or in the app-data folder, never beside the models', () => {
    expect(derivedTablesDir({ DDI_COST_TABLES_DIR: '/x/tables' })).toBe('/x/tables');
    expect(derivedTablesDir({ DDI_PROFILER_DB: '/lab/db.sqlite' })).toBe('/lab/cost-tables');
    expect(derivedTablesDir({ XDG_CONFIG_HOME: '/home/u/.config' })).toMatch(/DDI Profiler[/\\]cost-tables$/);
  });
});
