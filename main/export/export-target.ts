/**
 * Where an export file may go. Checked before anything is written: never the database itself (or
 * its -wal/-shm/-journal companions, which would destroy every session), never anything but a
 * regular file (a symlink would be replaced by a file, a FIFO or device would swallow or block the
 * export), and never an existing file unless the caller has asked (--force, the app's save dialog).
 */
import { accessSync, constants, existsSync, lstatSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../util/errors';

export interface TargetOptions {
  /** Replace an existing regular file. */
  force?: boolean;
  /** The database the session lives in; an export must never overwrite it. */
  dbPath?: string;
}

const DB_COMPANIONS = ['', '-wal', '-shm', '-journal'];

export function checkExportTarget(path: string, options: TargetOptions = {}): void {
  if (options.dbPath && isDatabaseFile(path, options.dbPath)) {
    throw new UserError(
      `Cannot export to ${path}: it is this app's database file (or its -wal/-shm companion) and every session would be lost; choose another --out path.`,
      'bad-export-path',
    );
  }
  const dir = dirname(path);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UserError(`Cannot export to ${path}: the folder ${dir} does not exist; create it or choose another --out path.`, 'bad-export-path');
  }
  const st = lstatOrUndefined(path);
  if (st?.isDirectory()) {
    throw new UserError(`Cannot export to ${path}: it is a folder; give a file name, e.g. ${join(path, 'session.csv')}.`, 'bad-export-path');
  }
  if (st && !st.isFile()) {
    throw new UserError(
      `Cannot export to ${path}: it is ${describeNonRegular(st)}, not a regular file; choose a regular file path with --out.`,
      'bad-export-path',
    );
  }
  if (st && !options.force) {
    throw new UserError(`Cannot export to ${path}: the file already exists; add --force to replace it or choose another --out path.`, 'export-exists');
  }
  try {
    accessSync(dir, constants.W_OK);
    if (st) accessSync(path, constants.W_OK);
  } catch {
    throw new UserError(`Cannot export to ${path}: no permission to write there; choose another --out path.`, 'bad-export-path');
  }
}

/** Same name (also through symlinked folders) or same file (a hard link) as the database or a companion. */
function isDatabaseFile(path: string, dbPath: string): boolean {
  if (dbPath === ':memory:' || dbPath === '') return false;
  const target = canonical(path);
  const targetStat = statOrUndefined(path);
  for (const suffix of DB_COMPANIONS) {
    const file = resolve(dbPath) + suffix;
    if (canonical(file) === target) return true;
    const st = targetStat && statOrUndefined(file);
    if (st && targetStat && st.dev === targetStat.dev && st.ino === targetStat.ino) return true;
  }
  return false;
}

/** The real path of a file, or of its folder plus its name when the file does not exist. */
function canonical(path: string): string {
  const abs = resolve(path);
  try {
    return realpathSync(abs);
  } catch {
    try {
      return join(realpathSync(dirname(abs)), basename(abs));
    } catch {
      return abs;
    }
  }
}

function describeNonRegular(st: Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'a special file';
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
