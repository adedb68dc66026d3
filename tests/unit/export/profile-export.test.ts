/**
 * The export of a profiling run: JSON carries the session's exact clock anchor, every inference,
 * the alignment, the idle baseline and the budget results; `--format csv --what inferences` writes
 * the per-inference table. The run's rows and markers are inserted with SQL, as a profiling run
 * stores them.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppCore } from '../../../main/core/app-core';
import { exportSessionToFile } from '../../../main/export/session-export';
import { openDatabase, type Db } from '../../../main/store/database';
import { SessionsRepo } from '../../../main/store/sessions-repo';
import { runCli } from '../../helpers/cli';
import { makeChunk } from '../../helpers/fake-meter';
import { buildExportWorker } from './export-fixtures';

/** Above 2^53: a JS number cannot hold it, so only an exact read gets every digit right. */
const START_MONO_NS = 9_007_199_254_740_993n;

const BUDGETS = [
  {
    name: 'energy-1mJ',
    metric: 'energy_per_inference',
    value: 0.001,
    unit: 'J',
    fractionWithin: 2 / 3,
    pass: false,
    worst: 0.0012,
    mean: 0.0009,
    p50: 0.0008,
    p95: 0.00118,
    p99: 0.0012,
    violations: [2],
  },
];

function insertProfileRun(db: Db): number {
  const id = Number(
    db
      .prepare(
        `INSERT INTO sessions (name, kind, status, started_at, ended_at, start_mono_ns, duration_s, channels, sample_rate_hz, model, backend)
         VALUES ('profile run', 'profile', 'complete', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:05.000Z', ?, 5, '["current","voltage","power"]', 1000, 'mgl2s-50', 'wasm')`,
      )
      .run(START_MONO_NS).lastInsertRowid,
  );
  new SessionsRepo(db).insertChunk(
    id,
    0,
    0,
    makeChunk(0, 1000, 250, () => [0.1, 5, 0.5]),
  );
  const inf = db.prepare(
    `INSERT INTO inferences (session_id, seq, start_ns, end_ns, mode, budget_value, budget_unit, exit_index, macs,
       predicted_latency_s, predicted_energy_j, label, prediction, measured_energy_j, active_energy_j, record)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  inf.run(
    id,
    0,
    3_000_000_000,
    3_004_000_000,
    'ddi',
    3e6,
    'MAC',
    1,
    2.5e6,
    0.004,
    0.0008,
    7,
    7,
    0.0008,
    0.0006,
    JSON.stringify({ withinBudget: true, executor: 'wasm' }),
  );
  inf.run(id, 1, 3_010_000_000, 3_013_500_000, 'ddi', 3e6, 'MAC', 0, 1.2e6, 0.0035, 0.0007, 2, 4, 0.0007, 0.0005, JSON.stringify({ withinBudget: true }));
  inf.run(id, 2, 3_020_000_000, 3_026_000_000, 'ddi', 3e6, 'MAC', 2, 2.9e6, 0.006, 0.0012, 1, 1, null, null, 'not json');
  const marker = db.prepare('INSERT INTO markers (session_id, t_ns, end_ns, kind, label, data) VALUES (?, ?, ?, ?, ?, ?)');
  marker.run(id, 0, 1_000_000_000, 'phase', 'warmup', null);
  marker.run(id, 1_000_000_000, 2_000_000_000, 'phase', 'baseline', null);
  marker.run(id, 1_000_000_000, 2_000_000_000, 'baseline', '', JSON.stringify({ meanPowerW: 0.512 }));
  marker.run(id, 2_000_000_000, 2_500_000_000, 'phase', 'alignment', null);
  marker.run(
    id,
    2_500_000_000,
    null,
    'alignment',
    '',
    JSON.stringify({ offsetNs: 12_345_678, driftPpm: 2.5, uncertaintyNs: 20_000, method: 'mls-xcorr', strength: 0.93, trusted: true, reason: null }),
  );
  marker.run(id, 3_000_000_000, 3_030_000_000, 'phase', 'inferences', null);
  marker.run(
    id,
    5_000_000_000,
    null,
    'profile',
    '',
    JSON.stringify({
      budgets: BUDGETS,
      attribution: { mode: 'per-inference', reason: 'meter period ≪ inference' },
      machine: 'test',
      backend: 'wasm',
      modelHash: 'abc',
      appVersion: '0.1.0',
    }),
  );
  return id;
}

let dir: string;
let dbPath: string;
let id: number;
let powerId: number;
let cleanupWorker: () => void = () => undefined;

beforeAll(async () => {
  cleanupWorker = await buildExportWorker();
  dir = mkdtempSync(join(tmpdir(), 'ddi-profile-export-'));
  dbPath = join(dir, 'db.sqlite');
  const db = openDatabase(dbPath);
  id = insertProfileRun(db);
  const repo = new SessionsRepo(db);
  powerId = repo.createSession({ name: 'power', kind: 'power', startMonoNs: 1e9, meterId: null, simulated: false, channels: ['power'], sampleRateHz: 1000 });
  repo.finishSession(powerId, 'complete', 0);
  db.close();
});
afterAll(() => cleanupWorker());

const EXPECTED_INFERENCES = [
  {
    seq: 0,
    startNs: 3_000_000_000,
    endNs: 3_004_000_000,
    mode: 'ddi',
    budget: { value: 3e6, unit: 'MAC' },
    exit: 1,
    macs: 2.5e6,
    predictedEnergyJ: 0.0008,
    predictedLatencyS: 0.004,
    measuredEnergyJ: 0.0008,
    activeEnergyJ: 0.0006,
    label: 7,
    prediction: 7,
    withinBudget: true,
  },
  {
    seq: 1,
    startNs: 3_010_000_000,
    endNs: 3_013_500_000,
    mode: 'ddi',
    budget: { value: 3e6, unit: 'MAC' },
    exit: 0,
    macs: 1.2e6,
    predictedEnergyJ: 0.0007,
    predictedLatencyS: 0.0035,
    measuredEnergyJ: 0.0007,
    activeEnergyJ: 0.0005,
    label: 2,
    prediction: 4,
    withinBudget: true,
  },
  {
    seq: 2,
    startNs: 3_020_000_000,
    endNs: 3_026_000_000,
    mode: 'ddi',
    budget: { value: 3e6, unit: 'MAC' },
    exit: 2,
    macs: 2.9e6,
    predictedEnergyJ: 0.0012,
    predictedLatencyS: 0.006,
    measuredEnergyJ: null,
    activeEnergyJ: null,
    label: 1,
    prediction: 1,
    withinBudget: null,
  },
];

describe('export of a profiling run', () => {
  it('JSON: exact startMonoNs, inferences, alignment, baseline and budgets, the same from the worker and in-process', async () => {
    const core = AppCore.open({ dbPath, transport: 'browser' });
    const out = join(dir, 'run.json');
    try {
      await core.exportSession(id, 'json', out);
    } finally {
      await core.close();
    }
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.session.startMonoNs).toBe('9007199254740993');
    expect(doc.session.kind).toBe('profile');
    expect(doc.inferences).toEqual(EXPECTED_INFERENCES);
    expect(doc.alignment).toEqual({ offsetNs: 12_345_678, driftPpm: 2.5, uncertaintyNs: 20_000, method: 'mls-xcorr' });
    expect(doc.baseline).toEqual({ startNs: 1_000_000_000, endNs: 2_000_000_000, meanPowerW: 0.512 });
    expect(doc.budgets).toEqual(BUDGETS);
    expect(doc.markers.map((m: { kind: string; label: string }) => `${m.kind}:${m.label}`)).toEqual([
      'phase:warmup',
      'phase:baseline',
      'baseline:',
      'phase:alignment',
      'alignment:',
      'phase:inferences',
      'profile:',
    ]);

    const db = openDatabase(dbPath);
    const direct = join(dir, 'direct.json');
    try {
      await exportSessionToFile(db, new SessionsRepo(db), id, 'json', direct);
    } finally {
      db.close();
    }
    const other = JSON.parse(readFileSync(direct, 'utf8'));
    expect({ ...other, exportedAt: null }).toEqual({ ...doc, exportedAt: null });
  });

  it('JSON of a power session: no inferences, alignment, baseline or budgets', async () => {
    const core = AppCore.open({ dbPath, transport: 'browser' });
    const out = join(dir, 'power.json');
    try {
      await core.exportSession(powerId, 'json', out);
    } finally {
      await core.close();
    }
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.session.startMonoNs).toBe('1000000000');
    expect([doc.inferences, doc.alignment, doc.baseline, doc.budgets]).toEqual([[], null, null, []]);
  });

  it('CSV --what inferences (CLI): one row per inference, snake_case columns with units', () => {
    const out = join(dir, 'inferences.csv');
    const r = runCli(['--db', dbPath, 'export', String(id), '--format', 'csv', '--what', 'inferences', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(out, 'utf8').split('\n')).toEqual([
      'seq,start_ns,end_ns,mode,budget_value,budget_unit,exit,macs,predicted_energy_J,predicted_latency_s,measured_energy_J,active_energy_J,label,prediction,within_budget',
      '0,3000000000,3004000000,ddi,3000000,MAC,1,2500000,0.0008,0.004,0.0008,0.0006,7,7,true',
      '1,3010000000,3013500000,ddi,3000000,MAC,0,1200000,0.0007,0.0035,0.0007,0.0005,2,4,true',
      '2,3020000000,3026000000,ddi,3000000,MAC,2,2900000,0.0012,0.006,,,1,1,',
      '',
    ]);
    // The samples table stays the default.
    const samples = join(dir, 'samples.csv');
    expect(runCli(['--db', dbPath, 'export', String(id), '--out', samples]).code).toBe(0);
    expect(readFileSync(samples, 'utf8').split('\n')[0]).toBe('time_s,current_A,voltage_V,power_W');
  });

  it('refuses --what inferences for a power session and --what with JSON, writing nothing', () => {
    const out = join(dir, 'refused.csv');
    const power = runCli(['--db', dbPath, 'export', String(powerId), '--what', 'inferences', '--out', out]);
    expect(power.code).not.toBe(0);
    expect(power.stderr.trim()).toMatch(/power session and has no inferences/);
    const json = runCli(['--db', dbPath, 'export', String(id), '--format', 'json', '--what', 'inferences', '--out', out]);
    expect(json.code).not.toBe(0);
    expect(json.stderr.trim()).toMatch(/--what selects the CSV or Parquet table/);
    const bad = runCli(['--db', dbPath, 'export', String(id), '--what', 'gates', '--out', out]);
    expect(bad.stderr.trim()).toMatch(/Unknown table "gates"/);
    expect(() => readFileSync(out)).toThrow();
  });
});
