// ddi-profiler stats, export --from/--to and sessions rename|note|rm, run as a user runs them (the
// built CLI) on a real database file.
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase } from '../../../main/store/database';
import { SessionsRepo } from '../../../main/store/sessions-repo';
import { runCli } from '../../helpers/cli';

let dir: string;
let db: string;

/** Two sessions at 1 kS/s for 2 s: I = 0.001·k A (k = sample index), V = 2 V, P = V·I; a gap 1.0–1.2 s in the first. */
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ddi-wb-cli-'));
  db = join(dir, 'db.sqlite');
  const d = openDatabase(db);
  const repo = new SessionsRepo(d);
  for (const name of ['first', 'second']) {
    const id = repo.createSession({
      name,
      kind: 'power',
      startMonoNs: 0,
      meterId: null,
      simulated: false,
      channels: ['current', 'voltage', 'power'],
      sampleRateHz: 1000,
    });
    for (let c = 0; c < 8; c++) {
      if (name === 'first' && c === 4) {
        repo.insertGap(id, { start_ns: 1e9, end_ns: 1.25e9, lost_samples: 250, reason: 'meter disconnected' });
        continue;
      }
      const cur = Float32Array.from({ length: 250 }, (_, i) => 0.001 * (c * 250 + i));
      repo.insertChunk(id, c, c * 0.25e9, {
        periodNs: 1e6,
        count: 250,
        channels: ['current', 'voltage', 'power'],
        data: [cur, new Float32Array(250).fill(2), cur.map((x) => 2 * x)],
      });
    }
    repo.finishSession(id, 'complete', 2);
  }
  closeDatabase(d);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ddi-profiler stats', () => {
  it('prints the range statistics (JSON) exact from the samples, the gap left out and listed', () => {
    const r = runCli(['--db', db, 'stats', '1', '--from', '0.9995s', '--to', '1300ms', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as { chargeC: number; energyJ: number; samples: number; coveredS: number; gaps: { reason: string }[] };
    // Sample 999 (0.999 A) for its last 0.5 ms, the gap 1.0–1.25 s, samples 1250–1299 whole.
    let q = 0.999 * 0.5e-3;
    for (let k = 1250; k < 1300; k++) q += 0.001 * k * 1e-3;
    expect(s.chargeC).toBeCloseTo(q, 7);
    expect(s.energyJ).toBeCloseTo(2 * q, 7);
    expect(s.samples).toBe(51);
    expect(s.coveredS).toBeCloseTo(0.0505, 9);
    expect(s.gaps.map((g) => g.reason)).toEqual(['meter disconnected']);
  });

  it('prints a table for people, with the uncovered time and the gap', () => {
    const r = runCli(['--db', db, 'stats', '1', '--from', '0.5s', '--to', '1.5s']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Session 1: 0\.500000 s – 1\.500000 s \(Δt 1\.000000 s\), 750 samples$/m);
    expect(r.stdout).toMatch(/^ {2}charge +\S+ mC \(\S+ µAh\)$/m);
    expect(r.stdout).toMatch(/not covered by samples: 0\.250000 s/);
    expect(r.stdout).toMatch(/gap 1\.000000 s – 1\.250000 s: meter disconnected, 250 samples lost/);
  });

  it('refuses a bad range or time with one sentence and exit 1', () => {
    const late = runCli(['--db', db, 'stats', '1', '--from', '3s']);
    expect(late.code).toBe(1);
    expect(late.stderr).toBe('Error: The range starts at 3 s, at or after the end of session 1 (2.00000 s); give a start below 2.00000 s.\n');
    const bad = runCli(['--db', db, 'stats', '1', '--to', 'soon']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('Error: --to "soon" is not a time; write it like 1.5s, 250ms or 2m (from the session\'s start).\n');
  });
});

describe('ddi-profiler export --from --to', () => {
  it('writes the samples of the range only, as many as stats counts', () => {
    const out = join(dir, 'range.csv');
    const r = runCli(['--db', db, 'export', '2', '--out', out, '--from', '0.5s', '--to', '0.75s']);
    expect(r.code).toBe(0);
    const rows = readFileSync(out, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('time_s,current_A,voltage_V,power_W');
    expect(rows.length - 1).toBe(250);
    expect(rows[1]!.startsWith('0.500000000,')).toBe(true);
    expect(rows.at(-1)!.startsWith('0.749000000,')).toBe(true);
    const bad = runCli(['--db', db, 'export', '2', '--out', join(dir, 'none.csv'), '--from', '1s', '--to', '0.5s']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^Error: The range ends at 0\.5 s, not after its start at 1 s; give an end later than the start\.\n$/);
    expect(existsSync(join(dir, 'none.csv'))).toBe(false);
  });
});

describe('ddi-profiler sessions rename | note | rm', () => {
  it('renames, notes, refuses rm without --yes when nothing can ask, and deletes with --yes', () => {
    expect(runCli(['--db', db, 'sessions', 'rename', '2', 'board B']).stdout).toBe('Session 2 is now "board B".\n');
    expect(runCli(['--db', db, 'sessions', 'note', '2', 'USB powered']).code).toBe(0);
    const list = JSON.parse(runCli(['--db', db, 'sessions', '--json']).stdout) as { id: number; name: string; notes: string }[];
    expect(list.find((s) => s.id === 2)).toMatchObject({ name: 'board B', notes: 'USB powered' });
    expect(runCli(['--db', db, 'sessions', 'rename', '2', '  ']).stderr).toBe('Error: A session name cannot be empty; type at least one character.\n');

    const refused = runCli(['--db', db, 'sessions', 'rm', '2']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('Error: Deleting session 2 "board B" (2000 samples, 2.0 s) cannot be undone; run the command again with --yes to confirm.\n');
    expect(JSON.parse(runCli(['--db', db, 'sessions', '--json']).stdout)).toHaveLength(2);

    const rm = runCli(['--db', db, 'sessions', 'rm', '2', '--yes']);
    expect(rm.code).toBe(0);
    expect(rm.stdout).toMatch(/^Deleted session 2 "board B"; \d+ kB given back \(incremental vacuum\)\.\n$/);
    expect((JSON.parse(runCli(['--db', db, 'sessions', '--json']).stdout) as { id: number }[]).map((s) => s.id)).toEqual([1]);
    expect(runCli(['--db', db, 'sessions', 'rm', '2', '--yes']).stderr).toMatch(/^Error: There is no session 2;/);
  });
});
