import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { APPLICATION_ID, defaultDatabasePath, openDatabase, schemaVersion } from '../../../main/store/database';
import { MIGRATIONS } from '../../../main/store/migrations';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'ddi-db-'));
const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('openDatabase', () => {
  it('creates the schema with WAL and our application id, and reopens without re-running migrations', () => {
    const path = join(tmp(), 'a.sqlite');
    const db = openDatabase(path);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type='table'").all() as { name: string }[]).map((r) => r.name);
    for (const t of ['sessions', 'meters', 'sample_chunks', 'markers', 'inferences', 'budgets', 'gaps', 'schema_migrations']) {
      expect(tables).toContain(t);
    }
    expect(schemaVersion(db)).toBe(MIGRATIONS[MIGRATIONS.length - 1]!.version);
    db.prepare("INSERT INTO budgets (name, metric, value, unit, created_at) VALUES ('b', 'energy_per_inference', 0.001, 'J', 'now')").run();
    db.close();
    const again = openDatabase(path);
    expect((again.prepare('SELECT count(*) AS n FROM schema_migrations').get() as { n: number }).n).toBe(MIGRATIONS.length);
    expect((again.prepare('SELECT count(*) AS n FROM budgets').get() as { n: number }).n).toBe(1);
    again.close();
  });

  it('rejects a file that is not SQLite and leaves it untouched', () => {
    const path = join(tmp(), 'notes.sqlite');
    writeFileSync(path, 'this is a text file, not a database\n'.repeat(100));
    const before = sha(path);
    expect(() => openDatabase(path)).toThrow(/not a SQLite database/);
    expect(sha(path)).toBe(before);
    expect(existsSync(path + '-wal')).toBe(false);
  });

  it('rejects a SQLite database of another program and leaves it untouched', () => {
    const path = join(tmp(), 'other.sqlite');
    const other = new Database(path);
    other.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)');
    other.close();
    const before = sha(path);
    expect(() => openDatabase(path)).toThrow(/another program/);
    expect(sha(path)).toBe(before);
  });

  it('rejects a damaged DDI database', () => {
    const path = join(tmp(), 'damaged.sqlite');
    const db = openDatabase(path);
    db.pragma('journal_mode = DELETE');
    db.close();
    const bytes = readFileSync(path);
    // Keep the header (so it still looks like SQLite) and scribble over the schema page.
    for (let i = 100; i < Math.min(bytes.length, 4096); i++) bytes[i] = 0xa5;
    writeFileSync(path, bytes);
    expect(() => openDatabase(path)).toThrow(/damaged|not a DDI|another program/);
  });

  it('refuses a database written by a newer schema, and one whose applied migration was edited', () => {
    const dir = tmp();
    const newer = join(dir, 'newer.sqlite');
    openDatabase(newer).close();
    const raw = new Database(newer);
    raw.prepare("INSERT INTO schema_migrations VALUES (999, 'future', 'x', 'now')").run();
    raw.close();
    expect(() => openDatabase(newer)).toThrow(/newer DDI Profiler/);

    const edited = join(dir, 'edited.sqlite');
    openDatabase(edited).close();
    const raw2 = new Database(edited);
    raw2.prepare("UPDATE schema_migrations SET checksum = 'tampered' WHERE version = 1").run();
    raw2.close();
    expect(() => openDatabase(edited)).toThrow(/modified schema migration 1/);
  });

  it('upgrades a database written at schema 1 by applying only the newer migrations, keeping its rows', () => {
    const path = join(tmp(), 'v1.sqlite');
    const raw = new Database(path);
    const v1 = MIGRATIONS[0]!;
    raw.exec(v1.sql);
    raw.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)');
    raw.prepare('INSERT INTO schema_migrations VALUES (1, ?, ?, ?)').run(v1.name, v1.checksum, 'then');
    raw.pragma(`application_id = ${APPLICATION_ID}`);
    raw.prepare("INSERT INTO sessions (name, kind, status, started_at, start_mono_ns) VALUES ('old', 'power', 'complete', 'then', 0)").run();
    raw.close();
    const db = openDatabase(path);
    expect(schemaVersion(db)).toBe(MIGRATIONS[MIGRATIONS.length - 1]!.version);
    const cols = (db.prepare('PRAGMA table_info(sessions)').all() as { name: string }[]).map((c) => c.name);
    expect(cols).toContain('nominal_voltage_v');
    expect((db.prepare('SELECT name FROM sessions').get() as { name: string }).name).toBe('old');
    db.close();
  });

  it('says which folder is missing instead of creating files in odd places', () => {
    const path = join(tmp(), 'no', 'such', 'dir', 'x.sqlite');
    expect(() => openDatabase(path)).toThrow(/folder .* does not exist/);
    expect(existsSync(join(path, '..'))).toBe(false);
  });

  it('puts the default database in the platform app-data folder, overridable by DDI_PROFILER_DB', () => {
    expect(defaultDatabasePath({ DDI_PROFILER_DB: '/x/y.sqlite' }, 'linux')).toBe('/x/y.sqlite');
    expect(defaultDatabasePath({ XDG_CONFIG_HOME: '/cfg' }, 'linux')).toBe('/cfg/DDI Profiler/ddi-profiler.sqlite');
    expect(defaultDatabasePath({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32')).toContain('DDI Profiler');
    expect(defaultDatabasePath({}, 'darwin')).toContain(join('Library', 'Application Support', 'DDI Profiler'));
  });
});
