/**
 * Opens (or creates) a DDI Profiler database: checks that an existing file really is one of ours
 * before touching it, then switches to WAL and applies pending migrations in one transaction.
 * A foreign or damaged file is rejected with one sentence and left byte-for-byte as it was.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { UserError, errorMessage } from '../util/errors';
import { MIGRATIONS } from './migrations';

export type Db = Database.Database;

/** 'DDIP' — marks files written by this app, so a foreign SQLite file is never migrated. */
export const APPLICATION_ID = 0x44444950;

export interface OpenOptions {
  /** Path to a better-sqlite3 native binding built for another runtime (Electron), see docs/electron.md. */
  nativeBinding?: string;
  readonly?: boolean;
}

export function defaultDatabasePath(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.DDI_PROFILER_DB) return env.DDI_PROFILER_DB;
  // Same folder Electron's app.getPath('userData') gives for productName "DDI Profiler", so the
  // desktop app, the CLI and browser mode share one database by default.
  const home = homedir();
  const base =
    platform === 'win32'
      ? (env.APPDATA ?? join(home, 'AppData', 'Roaming'))
      : platform === 'darwin'
        ? join(home, 'Library', 'Application Support')
        : (env.XDG_CONFIG_HOME ?? join(home, '.config'));
  return join(base, 'DDI Profiler', 'ddi-profiler.sqlite');
}

const SQLITE_MAGIC = 'SQLite format 3\u0000';

export function openDatabase(path: string, options: OpenOptions = {}): Db {
  const isNew = !existsSync(path) || statSync(path).size === 0;
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new UserError(`${path} is a folder, not a database file; pass a file path with --db.`, 'bad-database');
  }
  if (!isNew) checkHeader(path);
  if (isNew && !options.readonly) {
    const dir = dirname(path);
    if (!existsSync(dir)) {
      if (path === defaultDatabasePath()) mkdirSync(dir, { recursive: true });
      else throw new UserError(`The folder ${dir} does not exist; create it or choose another --db path.`, 'bad-database');
    }
  }
  if (isNew && options.readonly) {
    throw new UserError(`There is no database at ${path}; record a session first or pass the right --db path.`, 'no-database');
  }

  let db: Db;
  try {
    db = new Database(path, {
      readonly: options.readonly ?? false,
      ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
    });
  } catch (e) {
    throw new UserError(`Cannot open the database ${path} (${errorMessage(e)}); check the path and its permissions.`, 'bad-database');
  }
  try {
    if (!isNew) checkOwnership(db, path);
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode: a power cut may drop the last transactions but never corrupts the file.
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    if (!options.readonly) migrate(db, path);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

function checkHeader(path: string): void {
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(16);
  try {
    readSync(fd, buf, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (buf.toString('latin1') !== SQLITE_MAGIC) {
    throw new UserError(
      `${path} is not a SQLite database (damaged or another kind of file); choose another --db path or restore it from a backup.`,
      'bad-database',
    );
  }
}

function checkOwnership(db: Db, path: string): void {
  let appId: number;
  let tables: number;
  try {
    appId = db.pragma('application_id', { simple: true }) as number;
    tables = (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n;
    const check = db.pragma('quick_check', { simple: true }) as string;
    if (check !== 'ok') throw new Error(check);
  } catch (e) {
    throw new UserError(
      `The database ${path} is damaged (${errorMessage(e)}); choose another --db path or restore it from a backup.`,
      'bad-database',
    );
  }
  if (appId !== APPLICATION_ID && tables > 0) {
    throw new UserError(
      `${path} is a SQLite database from another program, not DDI Profiler; choose another --db path.`,
      'foreign-database',
    );
  }
}

function migrate(db: Db, path: string): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const applied = db.prepare('SELECT version, name, checksum FROM schema_migrations ORDER BY version').all() as {
    version: number;
    name: string;
    checksum: string;
  }[];
  const latest = MIGRATIONS[MIGRATIONS.length - 1]!.version;
  for (const row of applied) {
    const known = MIGRATIONS.find((m) => m.version === row.version);
    if (!known) {
      throw new UserError(
        `The database ${path} was written by a newer DDI Profiler (schema ${row.version} > ${latest}); update the app to open it.`,
        'newer-database',
      );
    }
    if (known.checksum !== row.checksum) {
      throw new UserError(
        `The database ${path} has a modified schema migration ${row.version} (${row.name}); restore it from a backup or choose another --db path.`,
        'bad-database',
      );
    }
  }
  const pending = MIGRATIONS.filter((m) => !applied.some((a) => a.version === m.version));
  if (pending.length === 0) return;
  const insert = db.prepare('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)');
  db.transaction(() => {
    for (const m of pending) {
      db.exec(m.sql);
      insert.run(m.version, m.name, m.checksum, new Date().toISOString());
    }
    db.pragma(`application_id = ${APPLICATION_ID}`);
  })();
}

export function schemaVersion(db: Db): number {
  const row = db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}
