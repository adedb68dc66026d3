/**
 * The app's budgets, calibration and profile options through AppCore.handle (the contract's checks
 * included), on the real SQLite file with the simulated meter and the tiny test model: budgets are
 * added with a unit, refused in one sentence and removed; a calibration runs with progress (run n of
 * N, an ETA) and ends with the stored table's name, fit and held-out error; the table is listed as
 * usable for its model and refused, with the reason, for another one; a profiling run with the
 * table, a margin and a stored budget checks that budget.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CalibrationProgressDto, EventPayload } from '../../../main/api/contract';
import { AppCore, ApiError } from '../../../main/core/app-core';
import { calibrationEta } from '../../../main/core/calibration-job';
import { tryRequire } from '../../../main/ddi/backend';

const MODEL = 'tiny-random-test';
let dir: string;
let core: AppCore;
const savedTablesDir = process.env.DDI_COST_TABLES_DIR;

beforeAll(() => {
  // Tables go beside this test's database, not into a shared folder.
  delete process.env.DDI_COST_TABLES_DIR;
  dir = mkdtempSync(join(tmpdir(), 'ddi-cal-api-'));
  core = AppCore.open({ dbPath: join(dir, 'db.sqlite'), transport: 'browser' });
});
afterAll(async () => {
  await core?.close();
  if (savedTablesDir !== undefined) process.env.DDI_COST_TABLES_DIR = savedTablesDir;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function refusal(name: string, input: unknown): Promise<ApiError> {
  const e = await core.handle(name, input).then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(ApiError);
  return e as ApiError;
}

describe('budgets through the contract', () => {
  it('adds a budget given with a unit, lists it in SI units, refuses a wrong unit or a taken name in one sentence, and removes it', async () => {
    const b = await core.call('budgets.add', { name: 'tiny-energy', metric: 'energy_per_inference', value: '0.8mJ', notes: 'board A' });
    expect(b).toMatchObject({ name: 'tiny-energy', metric: 'energy_per_inference', unit: 'J', model: null, notes: 'board A' });
    expect(b.value).toBeCloseTo(8e-4, 15);
    const wrong = await refusal('budgets.add', { name: 'x', metric: 'latency_per_inference', value: '2mJ' });
    expect(wrong.shape.message).toBe('2mJ is an energy, but this budget measures a latency; give a value like 5 ms.');
    expect((await refusal('budgets.add', { name: 'tiny-energy', metric: 'macs_per_inference', value: '2MMAC' })).shape.code).toBe('budget-exists');
    expect((await refusal('budgets.add', { name: 'y', metric: 'energy_per_run', value: 'lots' })).shape.code).toBe('bad-budget');
    // The contract is strict: unknown keys and non-string values never reach the store.
    expect((await refusal('budgets.add', { name: 'z', metric: 'energy_per_run', value: '1J', extra: 1 })).shape.code).toBe('invalid-input');
    expect((await refusal('budgets.add', { name: 'z', metric: 'energy_per_run', value: Number.NaN })).shape.code).toBe('invalid-input');
    // Nothing refused was written.
    expect((await core.call('budgets.list', {})).map((x) => x.name)).toEqual(['tiny-energy']);
    const tmp = await core.call('budgets.add', { name: 'tmp', metric: 'macs_per_inference', value: '20MMAC', model: MODEL });
    expect(tmp).toMatchObject({ value: 20e6, unit: 'MAC', model: MODEL });
    expect((await core.call('budgets.remove', { name: 'tmp' })).name).toBe('tmp');
    expect((await refusal('budgets.remove', { name: 'tmp' })).shape.message).toMatch(/^There is no budget named "tmp"; .+\.$/);
  });
});

describe('calibration ETA', () => {
  it('projects the current run from its own ETA, later runs from the finished ones', () => {
    expect(calibrationEta({ run: 1, runs: 4, elapsedS: 2, etaS: null }, [])).toBeNull();
    // Run 1 of 4 is 2 s in with 3 s left: 3 s + 3 more runs of 5 s.
    expect(calibrationEta({ run: 1, runs: 4, elapsedS: 2, etaS: 3 }, [])).toBe(18);
    // Run 3 of 4, not yet inferring, 1 s in; finished runs took 4 and 6 s: (5 − 1) + 1 × 5.
    expect(calibrationEta({ run: 3, runs: 4, elapsedS: 1, etaS: null }, [4, 6])).toBe(9);
  });
});

describe('calibrate → profile with the table (simulated meter)', () => {
  it('calibrates with progress, lists the table for its model only, and profiles with it, a margin and a stored budget', async () => {
    // No meter: refused before anything runs.
    const noMeter = await refusal('calibrate.start', { model: MODEL, runs: 4, limit: 60 });
    expect(noMeter.shape.code).toBe('no-meter');
    await core.call('meters.connect', { spec: 'sim' });
    // A gated model needs static, iadi and two budgeted runs.
    expect((await refusal('calibrate.start', { model: MODEL, runs: 3, limit: 60 })).shape.message).toBe(
      '3 runs cannot calibrate this model; use 4 to 50 (static and iadi plus at least two budgeted runs, one of them held out).',
    );
    expect((await refusal('calibrate.start', { model: MODEL, runs: 4, limit: 60, baselineS: Number.POSITIVE_INFINITY })).shape.code).toBe('invalid-input');
    expect((await refusal('calibrate.start', { model: MODEL, runs: 4, limit: 60, name: '../x' })).shape.code).toBe('invalid-input');
    expect((await refusal('calibrate.start', { model: MODEL, runs: 4, limit: 60, segments: 4 })).shape.message).toBe(
      '4 segments cannot split 60 inferences per run; use 1 to 3 segments (at least 20 inferences each).',
    );
    if (tryRequire(() => require('@tensorflow/tfjs-node')).ok) {
      console.log('tfjs-node loads on this machine: the refusal of an unavailable backend is not checked here.');
    } else {
      const e = await refusal('calibrate.start', { model: MODEL, runs: 4, limit: 60, backend: 'tensorflow' });
      expect(e.shape.code).toBe('backend-unavailable');
      expect(e.shape.message).toMatch(
        /^The tensorflow backend is not available on this machine: .*tfjs-node.*; choose \w+ or leave the backend on its default\.$/,
      );
    }

    const events: CalibrationProgressDto[] = [];
    const ended = new Promise<CalibrationProgressDto>((resolve) => {
      const off = core.on('calibrate.progress', (p: EventPayload<'calibrate.progress'>) => {
        events.push(p);
        if (p.phase === 'done' || p.phase === 'failed' || p.phase === 'cancelled') {
          off();
          resolve(p);
        }
      });
    });
    expect(
      await core.call('calibrate.start', {
        model: MODEL,
        runs: 4,
        limit: 60,
        segments: 2,
        backend: 'wasm',
        name: 'tiny-app',
        warmup: 2,
        baselineS: 0.3,
        closingS: 0.1,
        // No extension rounds: the progress below counts the planned sessions.
        maxExtraRounds: 0,
      }),
    ).toEqual({ ok: true });
    expect((await refusal('calibrate.start', { model: MODEL, runs: 4, limit: 60 })).shape.code).toBe('busy');
    expect((await refusal('profile.start', { model: MODEL, mode: 'static', limit: 5 })).shape.code).toBe('busy');
    const end = await ended;
    expect(end.phase, end.message).toBe('done');
    // Progress counts the profiling sessions: 4 runs in 2 segments each, from the first event to the last.
    expect(new Set(events.map((p) => p.run))).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8]));
    expect(events.every((p) => p.runs === 8)).toBe(true);
    expect(events.some((p) => p.run === 2 && p.etaS !== null && p.etaS > 0)).toBe(true);
    expect(events.some((p) => p.phase === 'fit')).toBe(true);
    const result = end.result as unknown as {
      costTable: { name: string; backend: { name: string } };
      heldOut: { energyMape: number | null; energyTotalError: number | null; analyticEnergyMape: number | null };
      fit: { energy: { parameters: { name: string; status: string; note: string | null }[] } };
      minimumBudgets: { ddi: { energyJ: number } };
    };
    expect(result.costTable).toMatchObject({ name: 'tiny-app', backend: { name: 'wasm' } });
    expect(result.heldOut.energyMape).toBeGreaterThanOrEqual(0);
    expect(result.heldOut.energyTotalError).toBeGreaterThanOrEqual(0);
    expect(result.heldOut.analyticEnergyMape).toBeGreaterThanOrEqual(0);
    // What the data could not identify is said, with why.
    const unidentified = result.fit.energy.parameters.filter((p) => p.status === 'folded' || p.status === 'absent');
    expect(unidentified.length).toBeGreaterThan(0);
    expect(unidentified.every((p) => typeof p.note === 'string' && p.note.length > 0)).toBe(true);

    // Listed as usable for its model on its backend; refused, with the sentence, for another model or backend.
    const forModel = await core.call('costTables.list', { model: MODEL, backend: 'wasm' });
    expect(forModel).toHaveLength(1);
    expect(forModel[0]).toMatchObject({ name: 'tiny-app', usable: true, reason: null, meter: { simulated: true } });
    expect(forModel[0]!.heldOutEnergyMape).toBe(result.heldOut.energyMape);
    const other = await core.call('costTables.list', { model: 'static' });
    expect(other[0]).toMatchObject({ name: 'tiny-app', usable: false });
    expect(other[0]!.reason).toMatch(/^Cost table tiny-app was calibrated for model tiny-random-test .+, not for static .+\.$/);
    const cpu = await core.call('costTables.list', { model: MODEL, backend: 'cpu' });
    expect(cpu[0]!.reason).toMatch(/^Cost table tiny-app was calibrated on backend wasm .+, not cpu/);
    // A name taken is refused before anything runs.
    expect((await refusal('calibrate.start', { model: MODEL, runs: 4, limit: 60, name: 'tiny-app' })).shape.code).toBe('cost-table-exists');

    // Profile with the table, a 10 % margin and the stored budget checked.
    expect((await refusal('profile.start', { model: MODEL, mode: 'static', limit: 5, margin: 0.1 })).shape.code).toBe('bad-margin');
    expect((await refusal('profile.start', { model: MODEL, mode: 'static', limit: 5, margin: 0.95 })).shape.code).toBe('invalid-input');
    expect((await refusal('profile.start', { model: MODEL, mode: 'static', limit: 5, costTable: 'nope' })).shape.code).toBe('no-cost-table');
    const budgetMj = Number((result.minimumBudgets.ddi.energyJ * 1.5 * 1e3).toPrecision(3));
    const done = new Promise<EventPayload<'profile.progress'>>((resolve) => {
      const off = core.on('profile.progress', (p) => {
        if (p.phase === 'done' || p.phase === 'failed') {
          off();
          resolve(p);
        }
      });
    });
    const { sessionId } = await core.call('profile.start', {
      model: MODEL,
      mode: 'ddi',
      budget: `${budgetMj}mJ`,
      limit: 40,
      warmup: 2,
      baselineS: 0.3,
      checks: ['tiny-energy'],
      costTable: 'tiny-app',
      margin: 0.1,
      backend: 'wasm',
    });
    const p = await done;
    expect(p.phase, p.message).toBe('done');
    const details = await core.call('profile.get', { id: sessionId });
    const names = details.result!.budgets.map((b) => b.name);
    expect(names).toContain('tiny-energy');
    expect(names[0]).toBe(`hard budget ${budgetMj}mJ`);
    expect(details.result!.backend).toBe('wasm');
  });
});
