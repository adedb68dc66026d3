import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'ddi-cli-'));

describe('ddi-profiler CLI', () => {
  it('records a simulated session, lists it, and exports CSV and JSON that match its summary', () => {
    const dir = tmp();
    const db = join(dir, 'db.sqlite');
    const rec = runCli(['--db', db, 'record', '--meter', 'sim', '--duration', '1s', '--name', 'cli run', '--json']);
    expect(rec.code).toBe(0);
    expect(rec.stderr).toMatch(/SIMULATED/);
    const summary = JSON.parse(rec.stdout);
    expect(summary.name).toBe('cli run');
    expect(summary.samples).toBeGreaterThan(5000);

    const list = runCli(['--db', db, 'sessions', '--json']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).map((s: { id: number }) => s.id)).toEqual([summary.id]);
    const table = runCli(['sessions'], { DDI_PROFILER_DB: db });
    expect(table.stdout).toMatch(/\[SIMULATED\]/);

    const csv = join(dir, 'out.csv');
    expect(runCli(['--db', db, 'export', String(summary.id), '--format', 'csv', '--out', csv]).code).toBe(0);
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('time_s,current_A,voltage_V,power_W');
    expect(lines.length - 1).toBe(summary.samples);
    const json = join(dir, 'out.json');
    expect(runCli(['--db', db, 'export', String(summary.id), '--format', 'json', '--out', json]).code).toBe(0);
    expect(JSON.parse(readFileSync(json, 'utf8')).session.samples).toBe(summary.samples);
  });

  it('answers bad input with one sentence, a non-zero exit, and no files written', () => {
    const dir = tmp();
    const db = join(dir, 'db.sqlite');
    // A bad meter spec or duration is caught before the database is even created.
    for (const args of [
      ['record', '--meter', 'warp9'],
      ['record', '--meter', 'sim', '--duration', '0s'],
    ]) {
      expect(runCli(['--db', db, ...args]).code).toBe(1);
    }
    expect(existsSync(db)).toBe(false);
    const cases: [string[], RegExp][] = [
      [['--db', db, 'record', '--meter', 'warp9'], /Unknown meter driver "warp9"/],
      [['--db', db, 'record', '--meter', 'ppk2'], /needs a port|Unknown meter driver/],
      [['--db', db, 'record', '--meter', 'sim', '--duration', 'forever'], /not a duration/],
      [['--db', db, 'export', '77', '--out', join(dir, 'x.csv')], /no session 77/],
      [['--db', db, 'export', 'abc', '--out', join(dir, 'x.csv')], /not a session id/],
      [['--db', join(dir, 'missing', 'db.sqlite'), 'sessions'], /folder .* does not exist/],
    ];
    for (const [args, message] of cases) {
      const r = runCli(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
    const notDb = join(dir, 'notes.txt');
    writeFileSync(notDb, 'hello');
    const r = runCli(['--db', notDb, 'sessions']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not a SQLite database/);
    expect(readFileSync(notDb, 'utf8')).toBe('hello');
    expect(existsSync(join(dir, 'x.csv'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('lists meters as JSON with the simulated driver marked', () => {
    const r = runCli(['meters', '--json']);
    expect(r.code).toBe(0);
    const { drivers } = JSON.parse(r.stdout);
    expect(drivers.find((d: { name: string }) => d.name === 'sim').simulated).toBe(true);
  });
});
