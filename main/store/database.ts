/**
 * Opens (or creates) a DDI Profiler database: checks that an existing file really is one of ours
 * before touching it, then switches to WAL and applies pending migrations in one transaction.
 * A foreign or damaged file is rejected with one sentence and left byte-for-byte as it was.
 */
import Database from 'better-sqlite3';
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { appDataDir } from '../util/app-data';
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
  // The desktop app, the CLI and browser mode share one database by default.
  return join(appDataDir(env, platform), 'ddi-profiler.sqlite');
}

const SQLITE_MAGIC = 'SQLite format 3\u0000';

/** Databases this process created at open: closeDatabase() removes them again if nothing was stored. */
const createdHere = new WeakMap<Db, string>();

export function openDatabase(path: string, options: OpenOptions = {}): Db {
  const existed = existsSync(path);
  const st = existed ? statSync(path) : undefined;
  if (st?.isDirectory()) {
    throw new UserError(`${path} is a folder, not a database file; pass a file path with --db.`, 'bad-database');
  }
  if (st && !st.isFile()) {
    // /dev/null, a FIFO or a socket: SQLite would write a journal beside it and fail later.
    throw new UserError(`${path} is not a regular file (a device, pipe or socket); pass a database file path with --db.`, 'bad-database');
  }
  const isNew = !st || st.size === 0;
  if (!isNew) checkHeader(path);
  if (isNew && options.readonly) {
    throw new UserError(`There is no database at ${path}; record a session first or pass the right --db path.`, 'no-database');
  }
  if (!options.readonly) checkWritable(path, existed);

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
    if (!isNew) {
      checkOwnership(db, path);
      // Everything that can refuse the file is read-only and comes before the first write (WAL switch).
      checkSchema(db, path);
    }
    if (!options.readonly) {
      // Before the first table exists, so deleted sessions can give their pages back cheaply
      // (reclaim-space.ts); an existing database keeps its mode until a VACUUM changes it.
      if (isNew) db.pragma('auto_vacuum = INCREMENTAL');
      db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode: a power cut may drop the last transactions but never corrupts the file.
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    if (!options.readonly) migrate(db, path);
    if (!existed) createdHere.set(db, path);
    return db;
  } catch (e) {
    db.close();
    if (!existed) removeDatabaseFiles(path);
    throw e;
  }
}

/**
 * Closes the database. One that this process created at open and that still holds no data (a
 * command that failed before recording, an app that was opened and closed) is removed again, so a
 * wrong --db path or a meter that does not answer leaves no empty database behind.
 */
export function closeDatabase(db: Db): void {
  const path = createdHere.get(db);
  createdHere.delete(db);
  if (!db.open) return;
  if (path === undefined || !holdsNothing(db)) {
    db.close();
    return;
  }
  // Leaving WAL needs the only connection, and the exclusive transaction keeps any other process
  // out while the file is checked once more and removed.
  let removed = false;
  try {
    if (db.pragma('journal_mode = DELETE', { simple: true }) === 'delete') {
      db.exec('BEGIN EXCLUSIVE');
      try {
        if (holdsNothing(db)) {
          rmSync(path, { force: true });
          removed = true;
        }
      } finally {
        db.exec('ROLLBACK');
      }
      if (!removed) db.pragma('journal_mode = WAL');
    }
  } catch {
    // Busy or locked by another process: it is in use, keep it.
  }
  db.close();
  if (removed) removeDatabaseFiles(path);
}

function holdsNothing(db: Db): boolean {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations'").all() as {
    name: string;
  }[];
  return tables.every(({ name }) => db.prepare(`SELECT 1 FROM "${name.replace(/"/g, '""')}" LIMIT 1`).get() === undefined);
}

function removeDatabaseFiles(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(path + suffix, { force: true });
}

/**
 * SQLite writes a journal (or WAL) beside the database, so the folder must be writable as well as
 * the file; checked first so the message names the real problem instead of "readonly database".
 */
function checkWritable(path: string, existed: boolean): void {
  const dir = dirname(path);
  if (!existsSync(dir)) {
    if (path === defaultDatabasePath()) mkdirSync(dir, { recursive: true });
    else throw new UserError(`The folder ${dir} does not exist; create it or choose another --db path.`, 'bad-database');
  }
  if (!statSync(dir).isDirectory()) {
    throw new UserError(`${dir} is not a folder; choose another --db path.`, 'bad-database');
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UserError(
      existed
        ? `Cannot write to the database ${path}: its folder ${dir} is read-only and SQLite keeps its journal there; choose another --db path or make the folder writable.`
        : `Cannot create the database in ${dir}: the folder is read-only; choose another --db path.`,
      'read-only-database',
    );
  }
  if (existed) {
    try {
      accessSync(path, constants.W_OK);
    } catch {
      throw new UserError(`The database file ${path} is read-only; make it writable or choose another --db path.`, 'read-only-database');
    }
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
    throw new UserError(`The database ${path} is damaged (${errorMessage(e)}); choose another --db path or restore it from a backup.`, 'bad-database');
  }
  if (appId !== APPLICATION_ID && tables > 0) {
    throw new UserError(`${path} is a SQLite database from another program, not DDI Profiler; choose another --db path.`, 'foreign-database');
  }
}

interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
}

/** Refuses a schema newer than this app or an edited migration, reading only. */
function checkSchema(db: Db, path: string): void {
  if (!existsSync(path)) {
    // Removed by closeDatabase() of another process between our header check and now.
    throw new UserError(`The database ${path} was removed while it was being opened; run the command again.`, 'bad-database');
  }
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (hasTable) checkApplied(db.prepare('SELECT version, name, checksum FROM schema_migrations ORDER BY version').all() as AppliedMigration[], path);
}

function checkApplied(applied: AppliedMigration[], path: string): void {
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
}

function migrate(db: Db, path: string): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const applied = db.prepare('SELECT version, name, checksum FROM schema_migrations ORDER BY version').all() as AppliedMigration[];
  checkApplied(applied, path);
  const pending = MIGRATIONS.filter((m) => !applied.some((a) => a.version === m.version));
  if (pending.length === 0) return;
  // A migration that rebuilds a referenced table must run with foreign keys off (DROP TABLE would
  // cascade to the children); the pragma is a no-op inside a transaction, so it is set around it.
  const rebuild = pending.some((m) => m.rebuildsTables);
  if (rebuild) db.pragma('foreign_keys = OFF');
  const insert = db.prepare('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)');
  try {
    db.transaction(() => {
      for (const m of pending) {
        db.exec(m.sql);
        insert.run(m.version, m.name, m.checksum, new Date().toISOString());
      }
      if (rebuild) {
        const broken = db.pragma('foreign_key_check') as unknown[];
        if (broken.length > 0) throw new Error(`${broken.length} rows would lose their parent row`);
      }
      db.pragma(`application_id = ${APPLICATION_ID}`);
    })();
  } catch (e) {
    throw new UserError(
      `Could not upgrade the database ${path} to schema ${MIGRATIONS[MIGRATIONS.length - 1]!.version} (${errorMessage(e)}); it was left as it was — restore it from a backup or choose another --db path.`,
      'bad-database',
    );
  } finally {
    if (rebuild) db.pragma('foreign_keys = ON');
  }
}

export function schemaVersion(db: Db): number {
  const row = db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}
