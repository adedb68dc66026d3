/** Messages between the export worker (export-worker.ts) and its host (export-runner.ts). */
import type { ExportRequest } from './export-content';

export interface ExportWorkerInit {
  dbPath: string;
  /** better-sqlite3 native binding built for Electron, when running inside the app. */
  nativeBinding?: string;
  request: ExportRequest;
}

/** ack: one piece was written, send more; cancel: stop, close the connection and exit. */
export type ToExportWorker = { type: 'ack' } | { type: 'cancel' };

export type FromExportWorker = { type: 'data'; bytes: Uint8Array } | { type: 'done' } | { type: 'error'; message: string; code: string | null };
