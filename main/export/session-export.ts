/**
 * Session export: the public entry points. The app exports through ExportRunner (a worker thread
 * with its own read-only connection, see export-runner.ts); exportSessionToFile() here runs on the
 * caller's own connection, for tools and tests that hold one and record nothing meanwhile.
 * What the files contain: export-content.ts. Where they may go: export-target.ts. Files are written
 * under a temporary name and renamed at the end (atomic-file.ts).
 */
import type { Db } from '../store/database';
import type { SessionsRepo } from '../store/sessions-repo';
import { writeFileAtomically } from './atomic-file';
import { checkExportRequest, produceExport, type FileExportFormat, type ExportTable } from './export-content';
import { checkExportTarget } from './export-target';
import { writableSink } from './writable-sink';

export type { ExportFormat, ExportTable, FileExportFormat } from './export-content';
export { ExportRunner, type FileExportOptions } from './export-runner';

export function exportFileName(sessionId: number, format: FileExportFormat, table: ExportTable = 'samples'): string {
  const suffix = table !== 'samples' && (format === 'csv' || format === 'parquet') ? `-${table}` : '';
  return `ddi-session-${sessionId}${suffix}.${format}`;
}

export interface DirectExportOptions {
  table?: ExportTable;
  force?: boolean;
  /** The database file, so the export can never overwrite it. */
  dbPath?: string;
}

/** Writes the export to `path` (atomically). Checks the session and the target before writing anything. */
export async function exportSessionToFile(
  db: Db,
  repo: SessionsRepo,
  id: number,
  format: FileExportFormat,
  path: string,
  options: DirectExportOptions = {},
): Promise<void> {
  repo.get(id); // a bad id fails here, before any file is touched
  const req = { id, format, ...(options.table ? { table: options.table } : {}) };
  checkExportRequest(db, req);
  const target = { force: options.force ?? false, ...(options.dbPath ? { dbPath: options.dbPath } : {}) };
  checkExportTarget(path, target);
  await writeFileAtomically(path, (out) => produceExport(db, req, writableSink(out)), target);
}
