/**
 * `export --out` never replaces what it must not: the database the sessions live in (or its
 * -wal/-shm, or a hard link to it), anything that is not a regular file (symlink, FIFO, device), or an
 * existing file without --force. Each refusal is one sentence, a non-zero exit, and nothing written.
 * Runs the built CLI (npm run build:main).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, lstatSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../main/store/database';
import { SessionsRepo } from '../../../main/store/sessions-repo';
import { runCli } from '../../helpers/cli';
import { makeChunk } from '../../helpers/fake-meter';

function databaseWithSession(): { dir: string; db: string; id: number } {
  const dir = mkdtempSync(join(tmpdir(), 'ddi-export-target-'));
  const path = join(dir, 'db.sqlite');
  const db = openDatabase(path);
  const repo = new SessionsRepo(db);
  const id = repo.createSession({
    name: 's',
    kind: 'power',
    startMonoNs: 1e9,
    meterId: null,
    simulated: false,
    channels: ['current', 'voltage', 'power'],
    sampleRateHz: 1000,
  });
  repo.insertChunk(
    id,
    0,
    0,
    makeChunk(0, 1000, 250, () => [0.2, 5, 1]),
  );
  repo.finishSession(id, 'complete', 0.25);
  db.close();
  return { dir, db: path, id };
}

function expectRefused(r: { code: number; stdout: string; stderr: string }, pattern: RegExp): void {
  expect(r.code).not.toBe(0);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(lines[0]).toMatch(/\.$/);
  expect(r.stdout).toBe('');
}

function chunksIn(dbPath: string): number {
  const db = openDatabase(dbPath, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM sample_chunks').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('export --out', () => {
  it('refuses the database file, its -wal/-shm and a hard link to it, even with --force', () => {
    const { dir, db, id } = databaseWithSession();
    linkSync(db, join(dir, 'alias.sqlite'));
    for (const out of [db, `${db}-wal`, `${db}-shm`, join(dir, 'alias.sqlite'), join(dir, '.', 'db.sqlite')]) {
      expectRefused(runCli(['--db', db, 'export', String(id), '--out', out, '--force']), /database file/);
    }
    expect(chunksIn(db)).toBe(1);
    expect(readdirSync(dir).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('refuses a symlink, a FIFO and a device, even with --force', () => {
    const { dir, db, id } = databaseWithSession();
    const real = join(dir, 'real.csv');
    writeFileSync(real, 'keep me\n');
    symlinkSync(real, join(dir, 'link.csv'));
    expectRefused(runCli(['--db', db, 'export', String(id), '--out', join(dir, 'link.csv'), '--force']), /symbolic link/);
    expect(lstatSync(join(dir, 'link.csv')).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toBe('keep me\n');

    const fifo = join(dir, 'pipe');
    const mk = spawnSync('mkfifo', [fifo]);
    if (mk.status === 0) {
      // Opening a FIFO for writing would block until a reader comes: the refusal must come first.
      expectRefused(runCli(['--db', db, 'export', String(id), '--out', fifo, '--force']), /named pipe/);
      expect(lstatSync(fifo).isFIFO()).toBe(true);
    } else {
      console.log('mkfifo is not available here: the FIFO case is not exercised');
    }
    expectRefused(runCli(['--db', db, 'export', String(id), '--out', '/dev/null', '--force']), /device/);
    expect(readdirSync(dir).sort()).toEqual(['db.sqlite', 'link.csv', ...(mk.status === 0 ? ['pipe'] : []), 'real.csv'].sort());
  });

  it('refuses an existing file unless --force, which replaces it', () => {
    const { dir, db, id } = databaseWithSession();
    const out = join(dir, 'out.csv');
    writeFileSync(out, 'older export\n');
    expectRefused(runCli(['--db', db, 'export', String(id), '--out', out]), /already exists.*--force/);
    expect(readFileSync(out, 'utf8')).toBe('older export\n');
    const r = runCli(['--db', db, 'export', String(id), '--out', out, '--force']);
    expect(r.code).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('time_s,current_A,voltage_V,power_W');
    expect(lines).toHaveLength(251);
    // A new name needs no --force.
    expect(runCli(['--db', db, 'export', String(id), '--out', join(dir, 'new.csv')]).code).toBe(0);
    expect(existsSync(join(dir, 'new.csv'))).toBe(true);
  });
});
