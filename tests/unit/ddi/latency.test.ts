import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DdiEngine } from '../../../main/ddi/engine';
import { readModelFile } from '../../../main/ddi/io';
import { randomImages } from './fixtures';

let engine: DdiEngine;
let dir: string;
beforeAll(async () => {
  engine = await DdiEngine.create({ backend: 'wasm' });
  dir = mkdtempSync(join(tmpdir(), 'ddi-lat-'));
  cpSync(resolve('data/models/tiny-random-test'), dir, { recursive: true });
});
afterAll(() => {
  engine.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('latency cost table', () => {
  it('profiles every unit on the running backend, stores the table with the model, and bounds predicted latency', () => {
    engine.loadModel(dir);
    const table = engine.profileLatency({ reps: 3, save: true });
    expect(table.kind).toBe('latency');
    expect(table.backend?.name).toBe('wasm');
    const ids = Object.keys(table.entries);
    for (const u of engine.model.units) expect(ids).toContain(u.id);
    expect(Object.values(table.entries).every((e) => e.fixed >= 0 && e.perChannel >= 0 && e.anyChannel >= 0)).toBe(true);
    expect(Object.values(table.entries).some((e) => e.fixed + e.perChannel > 0)).toBe(true);
    // Stored with the model and the backend, picked up again on load.
    expect(readModelFile(dir).costTables.map((t) => t.name)).toContain('latency:wasm');
    const info = engine.loadModel(dir);
    expect(info.costTables.map((t) => t.name)).toContain('latency:wasm');
    const min = info.minimumBudgets.ddi.latency!;
    expect(min).toBeGreaterThan(0);
    const budget = { kind: 'latency' as const, value: min * 1.4 };
    const recs = engine.infer(randomImages(6, 28, 28, 1, 4), 6, { mode: 'ddi', budget });
    for (const r of recs) {
      expect(r.latencyTable).toBe('latency:wasm');
      expect(r.budgetSpent).toBe(r.predictedLatencyS);
      expect(r.predictedLatencyS!).toBeLessThanOrEqual(budget.value);
    }
  });
});
