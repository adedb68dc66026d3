/**
 * Gives the pages a deleted session occupied back to the file system. SQLite keeps freed pages in
 * the file (its freelist) unless told otherwise:
 * - a database in auto_vacuum = INCREMENTAL mode (every database created since session delete
 *   exists) hands them back with `PRAGMA incremental_vacuum`, at a cost proportional to the pages
 *   freed, not to the database: a delete stays cheap however many sessions remain;
 * - an older database (auto_vacuum NONE) can only shrink with a full VACUUM, which rewrites the whole
 *   file. It runs when nothing records, profiles or exports (`idle`), and also switches the file to
 *   INCREMENTAL (https://www.sqlite.org/pragma.html#pragma_auto_vacuum: the mode of an existing
 *   database changes only through a VACUUM), so it is paid once. When not idle, the freed pages stay
 *   in the freelist, where the next recordings reuse them before the file grows, and the VACUUM
 *   waits for the next delete while idle.
 * In WAL mode the file shrinks when the WAL is checkpointed, so a TRUNCATE checkpoint follows.
 */
import type { Db } from './database';

export type Reclaimed = 'incremental-vacuum' | 'vacuum' | 'later';

/** PRAGMA auto_vacuum values: 0 NONE, 1 FULL, 2 INCREMENTAL. */
const INCREMENTAL = 2;

export function reclaimSpace(db: Db, options: { idle: boolean }): { reclaimed: Reclaimed; freedBytes: number } {
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const before = db.pragma('page_count', { simple: true }) as number;
  const mode = db.pragma('auto_vacuum', { simple: true }) as number;
  let reclaimed: Reclaimed;
  if (mode === INCREMENTAL) {
    db.pragma('incremental_vacuum');
    reclaimed = 'incremental-vacuum';
  } else if (options.idle) {
    db.pragma('auto_vacuum = INCREMENTAL');
    db.exec('VACUUM');
    reclaimed = 'vacuum';
  } else {
    return { reclaimed: 'later', freedBytes: 0 };
  }
  // A reader (an export's snapshot) may keep the checkpoint from finishing; it then completes later.
  db.pragma('wal_checkpoint(TRUNCATE)');
  const after = db.pragma('page_count', { simple: true }) as number;
  return { reclaimed, freedBytes: Math.max(0, before - after) * pageSize };
}
