import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, runCli } from '../../helpers/cli';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'ddi-dbcli-'));

describe.runIf(existsSync(CLI))('--db through the CLI (built by npm run build:main)', () => {
  it('leaves no database behind for a record whose meter cannot be opened, or a listing of a new path', () => {
    const dir = tmp();
    const db = join(dir, 'new.sqlite');
    const r = runCli(['--db', db, 'record', '--meter', `ppk2:${join(dir, 'ttyACM-missing')}`, '--duration', '1s']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: .*\n$/);
    expect(readdirSync(dir)).toEqual([]);
    const list = runCli(['--db', db, 'sessions', '--json']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('answers /dev/null with one sentence, not a stack trace', () => {
    const r = runCli(['--db', '/dev/null', 'sessions']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error: /dev/null is not a regular file (a device, pipe or socket); pass a database file path with --db.\n');
    expect(existsSync('/dev/null-journal')).toBe(false);
  });

  it('keeps the database once a session was recorded in it', () => {
    const dir = tmp();
    const db = join(dir, 'kept.sqlite');
    expect(runCli(['--db', db, 'record', '--meter', 'sim', '--duration', '0.3s']).code).toBe(0);
    expect(existsSync(db)).toBe(true);
  });
});

if (!existsSync(CLI)) console.log(`--db CLI tests skipped: ${CLI} is missing; run npm run build:main first`);
