/**
 * Finds a session's damaged chunks without blocking the core's event loop: the check reads every
 * BLOB of the session (40-125 ms for 10 M samples here), so it runs in a worker thread on its own
 * read-only connection (verify-worker.ts). WAL lets that reader see a consistent snapshot while a
 * recording goes on. An in-memory database exists only in the core's connection and is checked in
 * place; so is any database when the worker bundle is absent (running from source without a build).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { findDamagedChunks, type DamagedChunk } from './chunk-reader';
import type { Db } from './database';
import type { FromVerifyWorker, VerifyWorkerInit } from './verify-protocol';

export interface ChunkVerifierOptions {
  db: Db;
  dbPath: string;
  nativeBinding?: string;
  workerPath?: string;
}

/** dist/main/verify-worker.cjs next to the running bundle, else under the working directory. */
export function defaultVerifyWorkerPath(): string {
  const beside = typeof __dirname === 'string' ? join(__dirname, 'verify-worker.cjs') : null;
  if (beside && existsSync(beside)) return beside;
  return resolve('dist/main/verify-worker.cjs');
}

export class ChunkVerifier {
  constructor(private readonly opts: ChunkVerifierOptions) {}

  /** The session's chunks whose checksum or size does not match. */
  damaged(sessionId: number): Promise<DamagedChunk[]> {
    const path = this.opts.workerPath ?? defaultVerifyWorkerPath();
    if (this.opts.dbPath === ':memory:' || this.opts.dbPath === '' || !existsSync(path)) {
      return Promise.resolve(findDamagedChunks(this.opts.db, sessionId));
    }
    const init: VerifyWorkerInit = {
      dbPath: resolve(this.opts.dbPath),
      sessionId,
      ...(this.opts.nativeBinding ? { nativeBinding: this.opts.nativeBinding } : {}),
    };
    return new Promise((resolvePromise, reject) => {
      // execArgv: [] so the worker does not inherit loader flags of the host process (test runners).
      const worker = new Worker(path, { workerData: init, execArgv: [] });
      let reply: FromVerifyWorker | undefined;
      worker.once('message', (m: FromVerifyWorker) => (reply = m));
      worker.once('error', (e) => reject(e));
      worker.once('exit', (code) => {
        if (reply?.type === 'done') resolvePromise(reply.damaged);
        else reject(new Error(`Checking the stored samples of session ${sessionId} failed: ${reply?.message ?? `the worker stopped (exit code ${code})`}.`));
      });
    });
  }
}
