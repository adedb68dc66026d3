/**
 * The closed loop end to end through the built CLI with the simulated meter (window mode): calibrate
 * a model (short runs), which prints the held-out error and stores a named table; then a ddi
 * profiling run under an energy budget in mJ with that table and a margin predicts with it, enforces
 * the shrunk budget and reports measured compliance against the nominal one. Guard rails: another
 * model or backend, and a budget below the table's minimum, are refused in one sentence.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../helpers/cli';

const SHORT = ['--warmup', '3', '--baseline', '0.3s', '--closing', '0.1s', '--backend', 'wasm'];
// No extension rounds unless a test asks for them (the precision they chase is timing-dependent).
const ONCE = ['--max-rounds', '0'];

describe('calibrate → profile --cost-table (simulated meter)', () => {
  it('calibrates, prints the held-out error, and a ddi run under an mJ budget uses the table and reports compliance', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ddi-cal-'));
    const db = join(dir, 'db.sqlite');
    const env = { DDI_COST_TABLES_DIR: '' };
    const cal = runCli(
      ['--db', db, 'calibrate', '--model', 'tiny-random-test', '--meter', 'sim', '--runs', '4', '--limit', '150', '--name', 'tiny-sim', ...SHORT, ...ONCE],
      env,
    );
    expect(cal.stderr).toMatch(/SIMULATED/);
    expect(cal.code, cal.stderr).toBe(0);
    expect(cal.stdout).toMatch(/Cost table tiny-sim \[SIMULATED meter\]/);
    // Both held-out metrics, each named: the mean energy per inference's error (with the measured mean's interval) and the per-window MAPE.
    expect(cal.stdout).toMatch(
      /Held-out run \(sessions 4, 8, 12, ddi \d+MAC, window attribution\): mean energy per inference predicted .+, measured .+ (± \d+\.\d % \(95 %\)|\(one observation, no interval\)): mean error [+−]\d+\.\d %; per-window MAPE \d+\.\d %/,
    );
    expect(cal.stdout).toMatch(/Not identified by these runs: stem\.macs \(folded\)/);

    const path = join(dir, 'cost-tables', 'calibrated', 'tiny-sim.json');
    expect(existsSync(path)).toBe(true);
    const table = JSON.parse(readFileSync(path, 'utf8')) as {
      name: string;
      model: { name: string; hash: string };
      backend: { name: string };
      meter: { simulated: boolean };
      energy: { name: string };
      report: {
        heldOut: {
          energyMape: number;
          energyMeanError: number;
          energyTotalError: number;
          measuredEnergyPerInferenceJ: number;
          predictedEnergyPerInferenceJ: number;
          sessionId: number;
        };
        minimumBudgets: { ddi: { energyJ: number } };
        runs: unknown[];
      };
    };
    expect(table).toMatchObject({
      name: 'tiny-sim',
      model: { name: 'tiny-random-test' },
      backend: { name: 'wasm' },
      meter: { simulated: true },
      energy: { name: 'calibrated:tiny-sim:energy' },
    });
    expect(table.report.runs).toHaveLength(4);
    // 150 inferences per run in three parts, measured round-robin: part 1 of every run, then part 2, …
    expect(table.report.runs.map((r) => (r as { sessionIds: number[] }).sessionIds)).toEqual([
      [1, 5, 9],
      [2, 6, 10],
      [3, 7, 11],
      [4, 8, 12],
    ]);
    const d = new Database(db, { readonly: true });
    const parts = d
      .prepare(
        `SELECT m.session_id AS s, m.data AS run, (SELECT COUNT(*) FROM inferences i WHERE i.session_id = m.session_id) AS n
         FROM markers m WHERE m.kind = 'run' ORDER BY m.session_id`,
      )
      .all() as { s: number; run: string; n: number }[];
    d.close();
    // Each part measures its own third of the images: 50 each, from image 0, 50 and 100.
    expect(parts.map((p) => [p.n, (JSON.parse(p.run) as { firstImage?: number }).firstImage ?? 0])).toEqual(
      [0, 0, 0, 0, 50, 50, 50, 50, 100, 100, 100, 100].map((first) => [50, first]),
    );
    expect(table.report.heldOut.energyMape).toBeGreaterThanOrEqual(0);
    expect(table.report.heldOut.energyTotalError).toBeGreaterThanOrEqual(0);
    // The mean error is signed: predicted ÷ measured mean energy per inference − 1.
    const h = table.report.heldOut;
    expect(h.energyMeanError).toBeCloseTo(h.predictedEnergyPerInferenceJ / h.measuredEnergyPerInferenceJ - 1, 12);
    expect(h.energyTotalError).toBeCloseTo(Math.abs(h.energyMeanError), 12);
    const min = table.report.minimumBudgets.ddi.energyJ;
    expect(min).toBeGreaterThan(0);

    // A ddi run under an energy budget in mJ, with the table and a 10 % margin.
    const budgetMj = Number((min * 1.5 * 1e3).toPrecision(3));
    const prof = runCli(
      [
        '--db',
        db,
        'profile',
        '--model',
        'tiny-random-test',
        '--meter',
        'sim',
        '--mode',
        'ddi',
        '--budget',
        `${budgetMj}mJ`,
        '--cost-table',
        'tiny-sim',
        '--margin',
        '10%',
        '--limit',
        '60',
        '--json',
        ...SHORT,
      ],
      env,
    );
    expect(prof.code, prof.stderr).toBe(0);
    const r = JSON.parse(prof.stdout) as {
      sessionId: number;
      enforcement: { nominal: { value: number }; enforced: { value: number }; margin: number; costTable: string; energyTable: string };
      compliance: { metric: string; attribution: string; summary: string; meanJ: number | null; meanVerdict: string | null };
      budgets: { name: string }[];
    };
    expect(r.enforcement.costTable).toBe('tiny-sim');
    expect(r.enforcement.energyTable).toBe('calibrated:tiny-sim:energy');
    expect(r.enforcement.nominal.value).toBeCloseTo(budgetMj / 1e3, 12);
    expect(r.enforcement.enforced.value).toBeCloseTo(0.9 * (budgetMj / 1e3), 12);
    expect(r.budgets[0]!.name).toBe(`hard budget ${budgetMj}mJ`);
    expect(r.compliance.metric).toBe('energy_per_inference');
    expect(r.compliance.attribution).toBe('window');
    expect(r.compliance.meanJ).toBeGreaterThan(0);
    expect(['within', 'over', 'undecided']).toContain(r.compliance.meanVerdict);
    expect(r.compliance.summary).toMatch(/nominal budget/);
    // Every record predicted with the calibrated table and stayed within the enforced budget by it.
    const sqlite = new Database(db, { readonly: true });
    const recs = (sqlite.prepare('SELECT record FROM inferences WHERE session_id = ?').all(r.sessionId) as { record: string }[]).map(
      (x) => JSON.parse(x.record) as { energyTable: string; latencyTable: string; predictedEnergyJ: number; budgetSpent: number },
    );
    sqlite.close();
    expect(recs).toHaveLength(60);
    for (const x of recs) {
      expect(x.energyTable).toBe('calibrated:tiny-sim:energy');
      expect(x.latencyTable).toBe('calibrated:tiny-sim:latency');
      expect(x.predictedEnergyJ).toBeCloseTo(x.budgetSpent, 15);
      expect(x.budgetSpent).toBeLessThanOrEqual(0.9 * (budgetMj / 1e3) * (1 + 1e-12));
    }

    // Guard rails, one sentence each, nothing run.
    for (const [args, pattern] of [
      [['--model', 'mgl2s-50', '--budget', `${budgetMj}mJ`], /calibrated for model tiny-random-test .* not for mgl2s-50/],
      [['--model', 'tiny-random-test', '--budget', `${budgetMj}mJ`, '--backend', 'cpu'], /calibrated on backend wasm .* pass --backend wasm/],
      [
        ['--model', 'tiny-random-test', '--budget', `${Number((min * 0.5 * 1e3).toPrecision(3))}mJ`, '--backend', 'wasm'],
        /below the minimum of .* by cost table calibrated:tiny-sim:energy/,
      ],
    ] as [string[], RegExp][]) {
      const bad = runCli(['--db', db, 'profile', '--meter', 'sim', '--mode', 'ddi', '--cost-table', 'tiny-sim', '--limit', '5', ...args]);
      expect(bad.code).toBe(1);
      const lines = bad.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('NOTE:'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(pattern);
    }
    const sessions = JSON.parse(runCli(['--db', db, 'sessions', '--json']).stdout) as unknown[];
    // 12 calibration sessions and the profiling run; the refused commands added none.
    expect(sessions).toHaveLength(13);
  }, 240_000);

  it('without --warmup every run first runs its own inputs once (warm-up = --limit), in its own mode and budget', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ddi-cal-'));
    const db = join(dir, 'db.sqlite');
    const cal = runCli(
      [
        '--db',
        db,
        'calibrate',
        '--model',
        'tiny-random-test',
        '--meter',
        'sim',
        '--runs',
        '4',
        '--limit',
        '12',
        '--baseline',
        '0.2s',
        '--closing',
        '0s',
        '--backend',
        'wasm',
        '--max-rounds',
        '0',
      ],
      { DDI_COST_TABLES_DIR: '' },
    );
    expect(cal.code, cal.stderr).toBe(0);
    const d = new Database(db, { readonly: true });
    const warmups = d.prepare("SELECT session_id AS s, data FROM markers WHERE kind = 'phase' AND label = 'warmup' ORDER BY session_id").all() as {
      s: number;
      data: string;
    }[];
    d.close();
    expect(warmups.map((w) => w.s)).toEqual([1, 2, 3, 4]);
    for (const w of warmups) expect(JSON.parse(w.data)).toEqual({ count: 12 });
  }, 120_000);

  it('measures every run again over all its images, run after run, while the precision asked is not reached, and says when it stopped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ddi-cal-'));
    const db = join(dir, 'db.sqlite');
    const args = ['--db', db, 'calibrate', '--model', 'tiny-random-test', '--meter', 'sim', '--runs', '4', '--limit', '80', '--segments', '2'];
    const short = ['--warmup', '2', '--baseline', '0.2s', '--closing', '0s', '--backend', 'wasm'];
    // 0.01 %: no run's mean is known that well after 80 or 160 inferences, so the rounds stop at --max-rounds.
    const cal = runCli([...args, ...short, '--precision', '0.01%', '--max-rounds', '1', '--json'], { DDI_COST_TABLES_DIR: '' });
    expect(cal.code, cal.stderr).toBe(0);
    const r = JSON.parse(cal.stdout.slice(cal.stdout.indexOf('{'))) as {
      runs: { sessionIds: number[]; inferences: number; energyMeanCi95: number | null }[];
      precision: { target: number; extraRounds: number; maxExtraRounds: number; worstCi95: number | null; reached: boolean };
    };
    expect(r.precision).toMatchObject({ target: 0.0001, extraRounds: 1, maxExtraRounds: 1, reached: false });
    // Two segments of 40 images, then one session over all 80; the extra round comes after every run's segments, in run order.
    expect(r.runs.map((x) => x.sessionIds)).toEqual([
      [1, 5, 9],
      [2, 6, 10],
      [3, 7, 11],
      [4, 8, 12],
    ]);
    const d = new Database(db, { readonly: true });
    const counts = d.prepare('SELECT session_id AS s, COUNT(*) AS n, MIN(seq) AS first FROM inferences GROUP BY session_id ORDER BY session_id').all() as {
      s: number;
      n: number;
    }[];
    const markers = d.prepare("SELECT data FROM markers WHERE kind = 'calibration' ORDER BY session_id").all() as { data: string }[];
    d.close();
    expect(counts.map((c) => c.n)).toEqual([40, 40, 40, 40, 40, 40, 40, 40, 80, 80, 80, 80]);
    expect(markers.map((m) => (JSON.parse(m.data) as { segment: number }).segment)).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
    for (const run of r.runs) expect(run.inferences).toBe(160);
    // The report's worst interval is the least precise run's.
    const cis = r.runs.map((x) => x.energyMeanCi95);
    expect(r.precision.worstCi95).toBe(cis.includes(null) ? null : Math.max(...(cis as number[])));

    const text = runCli([...args.map((a) => (a === db ? join(dir, 'b.sqlite') : a)), ...short, '--precision', '0.01%', '--max-rounds', '0'], {
      DDI_COST_TABLES_DIR: '',
    });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/Precision NOT reached: .* without extra rounds, when --max-rounds 0 stopped further rounds/);
  }, 240_000);

  it('refuses a precision that is not a percentage in one sentence before anything is written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ddi-cal-'));
    const db = join(dir, 'db.sqlite');
    for (const bad of ['0%', '3', '60%']) {
      const r = runCli(['--db', db, 'calibrate', '--model', 'tiny-random-test', '--meter', 'sim', '--precision', bad]);
      expect(r.code).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toEqual([`Error: --precision "${bad}" must be a percentage above 0 % and at most 50 %, e.g. --precision 3%.`]);
    }
    expect(existsSync(db)).toBe(false);
  });

  it('refuses segments shorter than one pool of inferences in one sentence before anything is written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ddi-cal-'));
    const db = join(dir, 'db.sqlite');
    const r = runCli(['--db', db, 'calibrate', '--model', 'tiny-random-test', '--meter', 'sim', '--limit', '60', '--segments', '4'], {
      DDI_COST_TABLES_DIR: '',
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim()).toBe('Error: 4 segments cannot split 60 inferences per run; use 1 to 3 segments (at least 20 inferences each).');
    expect(existsSync(db)).toBe(false);
  });

  it('refuses an unknown table name in one sentence before anything is written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ddi-cal-'));
    const db = join(dir, 'db.sqlite');
    const r = runCli(['--db', db, 'profile', '--model', 'tiny-random-test', '--meter', 'sim', '--mode', 'ddi', '--budget', '3mJ', '--cost-table', 'nope'], {
      DDI_COST_TABLES_DIR: '',
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/No calibrated cost table named nope/);
    expect(existsSync(db)).toBe(false);
  });

  it('refuses an unknown --backend for calibrate and sweep in one sentence before anything is written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ddi-cal-'));
    const db = join(dir, 'db.sqlite');
    for (const args of [
      ['calibrate', '--model', 'tiny-random-test', '--meter', 'sim', '--backend', 'gpu'],
      ['sweep', '--model', 'tiny-random-test', '--meter', 'sim', '--budgets', '50%,100%', '--backend', 'gpu'],
    ]) {
      const r = runCli(['--db', db, ...args]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe('Error: Unknown backend "gpu"; choose ort, tensorflow, wasm or cpu.');
    }
    expect(existsSync(db)).toBe(false);
  });
});
