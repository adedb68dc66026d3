/**
 * Stored sweeps through the contract: a real two-point sweep (simulated meter, tiny-random-test)
 * then sweeps.list / sweeps.get, whose curve must be the very points the sweep returned (the same
 * aggregation, rebuilt from what was stored), and whose CSV is the sweep's own CSV.
 */
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppCore } from '../../../main/core/app-core';
import { EngineWorkerHost } from '../../../main/ddi/worker/host';
import { runSweep, sweepCsv, type SweepResult } from '../../../main/profile/sweep/sweep';
import { bundleWorker } from '../../helpers/bundle';

const MODEL_DIR = resolve('tests/fixtures/models/tiny-random-test');
let dir: string;
let core: AppCore;
let swept: SweepResult;

beforeAll(async () => {
  const bundle = await bundleWorker('main/ddi/worker/entry.ts', 'ddi-worker.cjs');
  dir = bundle.dir;
  core = AppCore.open({ dbPath: join(dir, 'sweeps.sqlite'), transport: 'browser' });
  const engine = new EngineWorkerHost({ workerPath: bundle.path, backend: 'wasm' });
  try {
    await core.connect('sim');
    swept = await runSweep(core, engine, {
      models: [{ name: 'tiny-random-test', dir: MODEL_DIR, costTable: null }],
      budgets: ['60%', '100%'],
      dataset: 'sample',
      limit: 8,
      warmup: 1,
      baselineS: 0.3,
      closingS: 0.2,
    });
  } finally {
    await engine.close();
  }
}, 120_000);

afterAll(async () => {
  await core?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('sweeps.list and sweeps.get', () => {
  it('lists the stored sweep with its model and its runs', async () => {
    const list = await core.call('sweeps.list', {});
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ sweepId: swept.sweepId, models: ['tiny-random-test'], points: 2 });
    expect(list[0]!.sessionIds).toEqual(swept.curves[0]!.points.map((p) => p.sessionId));
  });

  it('gives back the curve the sweep computed, point for point, and the same CSV', async () => {
    expect(swept.curves[0]!.points).toHaveLength(2);
    const got = await core.call('sweeps.get', { sweepId: swept.sweepId });
    expect(got.curves.map((c) => ({ ...c, skipped: [] }))).toEqual(swept.curves.map((c) => ({ ...c, skipped: [] })));
    expect(got.simulated).toBe(true);
    const { csv, ...stored } = got;
    expect(csv).toBe(sweepCsv({ ...stored, curves: swept.curves }));
    // A point really carries measured numbers (not placeholders).
    const p = got.curves[0]!.points[0]!;
    expect(p.inferences).toBe(8);
    expect(p.macsMean).toBeGreaterThan(0);
    expect(p.latencyMeanS).toBeGreaterThan(0);
  });

  it('refuses an unknown sweep in one sentence', async () => {
    await expect(core.call('sweeps.get', { sweepId: 'sweep-nope' })).rejects.toThrow(/No sweep "sweep-nope" is stored in this database; pick one/);
  });
});
