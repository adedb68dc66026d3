/** Messages between the checksum worker (verify-worker.ts) and its host (chunk-verifier.ts). */
import type { DamagedChunk } from './chunk-reader';

export interface VerifyWorkerInit {
  dbPath: string;
  /** better-sqlite3 native binding built for Electron, when running inside the app. */
  nativeBinding?: string;
  sessionId: number;
}

export type FromVerifyWorker = { type: 'done'; damaged: DamagedChunk[] } | { type: 'error'; message: string };
