import type { CallInput, CallOutput } from '../../../main/api/contract';

export type ExportResult = CallOutput<'sessions.export'>;
export type ExportFormat = CallInput<'sessions.export'>['format'];

/**
 * What to do with an export answer. Browser mode hands back a one-time download URL, which the
 * page follows as a download; Electron has already written the file where the user chose.
 */
export function exportOutcome(r: ExportResult): { kind: 'download'; url: string; fileName: string } | { kind: 'saved'; path: string } | { kind: 'cancelled' } {
  if (r.cancelled) return { kind: 'cancelled' };
  if (r.downloadUrl) return { kind: 'download', url: r.downloadUrl, fileName: r.fileName };
  return { kind: 'saved', path: r.savedTo ?? r.fileName };
}

export function startDownload(url: string, fileName: string, doc: Document = document): void {
  const a = doc.createElement('a');
  a.href = new URL(url, doc.baseURI).href;
  a.download = fileName;
  a.rel = 'noopener';
  a.style.display = 'none';
  doc.body.appendChild(a);
  a.click();
  a.remove();
}
