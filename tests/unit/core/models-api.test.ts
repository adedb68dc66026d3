import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppCore, ApiError } from '../../../main/core/app-core';

// The engine runs in its worker thread (dist/main/ddi-worker.cjs, built by `npm test` before Vitest).
let core: AppCore;
beforeAll(() => {
  core = AppCore.open({ dbPath: join(mkdtempSync(join(tmpdir(), 'ddi-models-')), 'db.sqlite'), transport: 'browser' });
});
afterAll(async () => {
  await core.close();
});

describe('models through the API contract', () => {
  it('lists the shipped models and the user folder (the test fixtures) and reports the engine backend', async () => {
    const { models } = await core.call('models.list', {});
    const tiny = models.find((m) => m.id === 'tiny-random-test');
    expect(tiny?.randomWeights).toBe(true);
    // The shipped zoo is listed too, and none of it has random weights.
    expect(models.map((m) => m.id)).toContain('static');
    expect(models.filter((m) => m.randomWeights).map((m) => m.id)).toEqual(['tiny-random-test']);
    const backend = await core.call('engine.info', {});
    expect(['ort', 'tensorflow', 'wasm', 'cpu']).toContain(backend.name);
  });

  it('runs inferences on the shipped sample and never exceeds a hard budget', async () => {
    const free = await core.call('models.run', { model: 'tiny-random-test', mode: 'static', limit: 5 });
    expect(free.count).toBe(5);
    expect(free.records.every((r) => r.exitId === 'classifier')).toBe(true);
    const budgetMacs = Math.round(free.staticMacs * 0.5);
    const run = await core.call('models.run', { model: 'tiny-random-test', mode: 'ddi', budget: `${budgetMacs}MAC`, limit: 20 });
    expect(run.count).toBe(20);
    expect(run.withinBudget).toBe(1);
    for (const r of run.records) {
      expect(r.macs).toBeLessThanOrEqual(budgetMacs);
      expect(r.endNs).toBeGreaterThanOrEqual(r.startNs);
      expect(r.label).toBeTypeOf('number');
    }
    expect(run.meanMacs).toBeLessThan(free.meanMacs);
  });

  it('names a missing model and refuses a budget in a mode without halting', async () => {
    // The CLI's sentence (model-resolver.ts), names only: the app never takes a folder path.
    await expect(core.call('models.run', { model: 'nope', mode: 'static', limit: 1 })).rejects.toThrow(
      /no model "nope" in .*; pass the name of an installed model: .*static.*tiny-random-test/,
    );
    await expect(core.call('models.run', { model: 'tests/fixtures/models/tiny-random-test', mode: 'static', limit: 1 })).rejects.toThrow(/no model/);
    const e = await core.handle('models.run', { model: 'tiny-random-test', mode: 'static', budget: '1MMAC', limit: 1 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).shape.code).toBe('bad-budget');
  });
});
