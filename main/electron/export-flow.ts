/**
 * sessions.export in the desktop app. The core validates the call and checks the session exists,
 * then hands delivery to the transport (AppCoreOptions.deliverExport). Here delivery means: show a
 * native save dialog in main, and let the core write to the path the user picked. The renderer
 * never supplies a filesystem path, so a compromised page cannot make the app write anywhere.
 *
 * Dependencies are injected (dialog, core) so the flow is tested without Electron.
 */
import { extname, basename } from 'node:path';
import type { CallOutput } from '../api/contract';

export type ExportFormat = 'csv' | 'json' | 'parquet' | 'html';

const FILTER_NAMES: Record<ExportFormat, string> = { csv: 'CSV', json: 'JSON', parquet: 'Parquet', html: 'HTML report' };

/** The save dialog's file type filter for a format (the extension is the format's name). */
export function saveDialogFilter(format: ExportFormat): { name: string; extensions: string[] } {
  return { name: FILTER_NAMES[format], extensions: [format] };
}
export type ExportOutput = CallOutput<'sessions.export'>;

export interface ExportFlowDeps {
  /** Shows the save dialog with a suggested name; resolves to the chosen path, or null when cancelled. */
  askSavePath: (suggestedName: string, format: ExportFormat) => Promise<string | null>;
  /** The core's write-to-path export (AppCore.exportSession). */
  exportTo: (id: number, format: ExportFormat, path: string, range?: { fromS?: number; toS?: number }) => Promise<void>;
}

/**
 * GTK's save dialog does not add the filter's extension, so "run1" would be saved without one and
 * pandas/DuckDB would have to be told the format. Add it only when the user typed no extension at
 * all: an explicit "run1.txt" is the user's choice.
 */
export function withFormatExtension(path: string, format: ExportFormat): string {
  return extname(basename(path)) === '' ? `${path}.${format}` : path;
}

export function createDeliverExport(deps: ExportFlowDeps) {
  return async (id: number, format: ExportFormat, suggestedName: string, range?: { fromS?: number; toS?: number }): Promise<ExportOutput> => {
    const chosen = await deps.askSavePath(suggestedName, format);
    if (chosen === null || chosen === '') return { fileName: suggestedName, cancelled: true };
    const path = withFormatExtension(chosen, format);
    await (range ? deps.exportTo(id, format, path, range) : deps.exportTo(id, format, path));
    return { fileName: basename(path), savedTo: path };
  };
}
